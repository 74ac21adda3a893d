"""Declarative mappings (mappings/*.yaml) on small fixtures in the layouts of two real exports:
the Pennsylvania ICE detainer extract and Pierce County's charges of bookings with holds."""
from __future__ import annotations

import gzip
import json

import pytest

from compliance import cli, warehouse
from compliance.errors import ComplianceError
from compliance.sources.formats import ingest
from compliance.sources.mapping import clean_share, load_mapping, mapping_format
from support import PACK_TZ, write

PA = """date,lift_reason,det_facility,city,state,detainer_type
2012-02-03 00:00:00,Booked into Detention,"SOMEWHERE CNTY JAIL, PA",SOMEWHERE,PENNSYLVANIA,
2014-07-09 00:00:00,,PHILADELPHIA DETENTION CT,PHILADELPHIA,PENNSYLVANIA,I247D - Immigration Detainer - Request for Action
2013-11-03 00:00:00,Transferred,CURRAN FROMHOLD CORR.FAC.,PHILADELPHIA,PENNSYLVANIA,I247 - Immigration Detainer - Notice of Action (as of March 2013)
2013-02-30 00:00:00,Lifted,ROUNDHOUSE PHI,PHILADELPHIA,PENNSYLVANIA,
"""
PIERCE_COLUMNS = ("booking_id|booking_dt|release_dt|booking_charge_desc|booking_charge_txt|charge_release_dt|"
                  "title_txt|cause_num|jurisdiction_cd|release_disposition_desc|hash_id|category|type")
PIERCE = PIERCE_COLUMNS + """
aa01|2017-04-21 11:43:00|2017-07-11 08:00:00|ASLT 2 -DV||2017-07-11 08:00:00|Report|17-1-00001-5|SUP|Dismissed|c001|class B felony|violent
aa01|2017-04-21 11:43:00|2017-07-11 08:00:00|HOLD IMMIGRAT||2017-05-04 17:00:00|Report||IMM|Cancel Detainer|c002|other|other
bb02|2017-09-01 02:10:00|2017-09-20 09:00:00|THEFT 3||2017-09-20 09:00:00|Report|CR-9|PD1|Credit for Time Served|c003|gross misdemeanor|property
"""


def test_pennsylvania_extract_maps_without_code(home, tmp_path, capsys):
    path = write(tmp_path / "exports" / "pa_detainers.csv", PA)
    assert cli.main(["--home", str(home), "ingest", "--format", "mapping:pa_ice_detainers", str(path)]) == 0
    assert capsys.readouterr().out == "1 files: 4 rows read, 3 loaded, 1 quarantined, 0 ignored\n"
    with warehouse.connect(home, read_only=True) as con:
        rows = con.execute("""
            SELECT detainer_id, person_id, booking_id, strftime(timezone('UTC', received_at), '%Y-%m-%d %H:%M'),
                   form_type, attachments, action, action_at, extra, source_line FROM detainers ORDER BY source_line""").fetchall()
        quarantined = con.execute("SELECT line_no, field, reason FROM quarantine").fetchall()
        [(source,)] = con.execute("SELECT source FROM batches").fetchall()
    assert [r[:8] + (json.loads(r[8]), r[9]) for r in rows] == [
        ("pa-ice-L2", "pa-ice-person-L2", "pa-ice-booking-L2", "2012-02-03 05:00", None, None, "transferred",
         None, {"det_facility": "SOMEWHERE CNTY JAIL, PA", "city": "SOMEWHERE", "state_": "PENNSYLVANIA"}, 2),
        ("pa-ice-L3", "pa-ice-person-L3", "pa-ice-booking-L3", "2014-07-09 04:00", "I-247D", None, "pending",
         None, {"det_facility": "PHILADELPHIA DETENTION CT", "city": "PHILADELPHIA", "state_": "PENNSYLVANIA"}, 3),
        ("pa-ice-L4", "pa-ice-person-L4", "pa-ice-booking-L4", "2013-11-03 04:00", "I-247", None, "Transferred",
         None, {"det_facility": "CURRAN FROMHOLD CORR.FAC.", "city": "PHILADELPHIA", "state_": "PENNSYLVANIA"}, 4),
    ]
    assert quarantined == [(5, "received_at", "does not match the mapping's formats %Y-%m-%d %H:%M:%S, "
                                              "%Y-%m-%d: 2013-02-30 00:00:00")]
    assert source == "mapping:pa_ice_detainers"


def test_pierce_county_charges_map_from_a_gzip_named_csv(con, tmp_path):
    # The real file is pipe-delimited and gzip-compressed under a .csv name.
    path = write(tmp_path / "exports" / "allholds.csv", gzip.compress(PIERCE.encode()))
    mapping = load_mapping("pierce_county_charges")
    result = ingest(con, path, mapping_format(mapping), PACK_TZ)
    assert (result.rows_read, result.rows_loaded, result.table) == (3, 3, "charges")
    rows = con.execute("""SELECT charge_id, person_id, booking_id, statute, grade, description, disposition,
                                 CAST(disposition_date AS VARCHAR), extra ->> 'jurisdiction_cd'
                          FROM charges ORDER BY charge_id""").fetchall()
    assert rows == [
        ("c001", "pierce-person-aa01", "aa01", None, "class B felony", "ASLT 2 -DV", "dismissed", "2017-07-11", "SUP"),
        ("c002", "pierce-person-aa01", "aa01", None, "other", "HOLD IMMIGRAT", "Cancel Detainer", "2017-05-04", "IMM"),
        ("c003", "pierce-person-bb02", "bb02", None, "gross misdemeanor", "THEFT 3", "convicted", "2017-09-20", "PD1"),
    ]
    assert clean_share(con, mapping, result.batch_id) == {
        "rows_read": 3, "rows_loaded": 3, "rows_clean": 2, "unmapped": {"disposition": 1}}


def test_clean_share_counts_values_outside_the_value_maps(con, tmp_path):
    mapping = load_mapping("pa_ice_detainers")
    result = ingest(con, write(tmp_path / "pa.csv", PA), mapping_format(mapping), PACK_TZ)
    # Row 2 has no form type; row 4 keeps "Transferred" as written: one clean row of three.
    assert clean_share(con, mapping, result.batch_id) == {
        "rows_read": 4, "rows_loaded": 3, "rows_clean": 1, "unmapped": {"form_type": 1, "action": 1}}


def test_a_corrected_export_replaces_its_batch(con, tmp_path):
    mapping = load_mapping("pa_ice_detainers")
    path = write(tmp_path / "pa.csv", PA)
    first = ingest(con, path, mapping_format(mapping), PACK_TZ)
    assert ingest(con, path, mapping_format(mapping), PACK_TZ).status == "unchanged"
    write(path, PA.replace("2013-02-30", "2013-02-28"))
    second = ingest(con, path, mapping_format(mapping), PACK_TZ)
    assert (second.status, second.rows_loaded, second.rows_quarantined) == ("replaced", 4, 0)
    assert con.execute("SELECT batch_id FROM batches").fetchall() == [(second.batch_id,)] != [(first.batch_id,)]
    assert con.execute("SELECT count(*) FROM quarantine").fetchall() == [(0,)]


def test_a_latin1_export_is_read_through_its_declared_encoding(con, tmp_path):
    mapping_path = write(tmp_path / "latin.yaml", """
table: custody_events
file: {delimiter: ";", encoding: latin-1}
timezone: Europe/Madrid
timestamp_formats: ["%d/%m/%Y %H:%M"]
columns:
  event_id: {column: id}
  person_id: {column: persona}
  booking_id: {column: reserva}
  event_type: {value: booked}
  event_ts: {column: fecha}
""")
    data = "id;persona;reserva;fecha;nota\nE1;P1;B1;04/03/2016 10:30;Peña\n".encode("latin-1")
    result = ingest(con, write(tmp_path / "export.csv", data), mapping_format(load_mapping(str(mapping_path))),
                    PACK_TZ)
    assert result.rows_loaded == 1
    assert con.execute("SELECT strftime(timezone('UTC', event_ts), '%Y-%m-%d %H:%M'), extra ->> 'nota' "
                       "FROM custody_events").fetchall() == [("2016-03-04 09:30", "Peña")]


@pytest.mark.parametrize(("yaml_text", "message"), [
    ("table: detainers\ncolumns: {detainer_id: {value: x}}\nsheet: 1\n", "field sheet: unknown keys ['sheet']"),
    ("table: nothing\ncolumns: {a: {value: x}}\n", "field table: table 'nothing' is not a landing table"),
    ("table: custody_events\ncolumns: {event_id: {value: x}}\n",
     "field columns.person_id: the mapping gives no rule for required column person_id"),
    ("table: custody_events\ncolumns: {event_id: {value: x, column: y}}\n",
     "field columns.event_id: give exactly one of column, template or value"),
    ("table: custody_events\ntimezone: Mars/Olympus\ncolumns: {event_id: {value: x}, person_id: {value: x}, "
     "booking_id: {value: x}, event_type: {value: x}, event_ts: {value: x}}\n",
     "field timezone: unknown time zone 'Mars/Olympus'"),
])
def test_a_bad_mapping_is_one_error_naming_its_file_and_field(tmp_path, yaml_text, message):
    path = write(tmp_path / "bad.yaml", yaml_text)
    with pytest.raises(ComplianceError) as error:
        load_mapping(str(path))
    assert str(error.value) == f"{path}, {message}"


def test_a_source_column_the_export_lacks_is_one_error(con, tmp_path):
    path = write(tmp_path / "pa.csv", PA.replace("lift_reason", "reason"))
    with pytest.raises(ComplianceError) as error:
        ingest(con, path, mapping_format(load_mapping("pa_ice_detainers")), PACK_TZ)
    assert str(error.value) == (f"{path}, line 1, field lift_reason: column 'lift_reason' read by mapping "
                                "pa_ice_detainers (for action) is not in the header")
    assert con.execute("SELECT count(*) FROM batches").fetchall() == [(0,)]


def test_an_unknown_mapping_names_the_available_ones(home, tmp_path, capsys):
    path = write(tmp_path / "pa.csv", PA)
    assert cli.main(["--home", str(home), "ingest", "--format", "mapping:nope", str(path)]) == 2
    assert "no mapping named 'nope' (available: pa_ice_detainers, pierce_county_charges)" in capsys.readouterr().err
