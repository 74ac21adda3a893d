"""Reference data for the generator: Pennsylvania charges as written on dockets, the account
registry of a PARS-like arrest database, and name lists for search criteria.

Statutes and grades follow the pack's offense table, policies/pa_offenses.csv. Planted detainer cases
only use statutes whose table entry matches the docket text exactly, so that no planted case
depends on how a rule normalises subsections.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# key -> (statute as on the docket, grade, description)
CHARGES: dict[str, tuple[str, str, str]] = {
    # on 42 Pa.C.S. § 9714(g) ("crime of violence"): qualify when convicted (F1/F2)
    "agg_assault_a1": ("18 § 2702 §§ A1", "F1", "Aggravated Assault"),
    "robbery_a1i": ("18 § 3701 §§ A1I", "F1", "Robbery-Inflict Serious Bodily Injury"),
    "robbery_a1ii": ("18 § 3701 §§ A1II", "F1", "Robbery-Threat Immed Ser Injury"),
    "sexual_assault": ("18 § 3124.1", "F2", "Sexual Assault"),
    # grey list: violent conduct, not on the list -> human review
    "robbery_a1iv": ("18 § 3701 §§ A1IV", "F2", "Robbery-Inflict Threat Imm Bod Inj"),
    "agg_assault_a4": ("18 § 2702 §§ A4", "F2", "Aggravated Assault - Attempts/Causes Bodily Injury With Deadly Weapon"),
    "agg_assault_a3": ("18 § 2702 §§ A3", "F2", "Aggravated Assault - Bodily Injury to Police Officer"),
    "firearms_6105": ("18 § 6105", "F2", "Persons Not To Possess, Use, Etc. Firearms"),
    # felonies that do not qualify
    "burglary_a2": ("18 § 3502 §§ A2", "F1", "Burglary - Overnight Accommodations; No Person Present"),
    "burglary_a4": ("18 § 3502 §§ A4", "F2", "Burglary - Not Adapted For Overnight Accommodation, No Person Present"),
    "trespass_a1ii": ("18 § 3503 §§ A1II", "F2", "Criminal Trespass - Break Into Structure"),
    "robbery_a1v": ("18 § 3701 §§ A1V", "F3", "Robbery-Take Property From Other/Force"),
    "firearms_6106": ("18 § 6106 §§ A1", "F3", "Firearms Not To Be Carried Without A License"),
    "pwid": ("35 § 780-113 §§ A30", "F",
             "Manufacture, Delivery, or Possession With Intent to Manufacture or Deliver"),
    "theft_f3": ("18 § 3921 §§ A", "F3", "Theft By Unlawful Taking - Movable Property"),
    # misdemeanours and summaries
    "theft_m1": ("18 § 3921 §§ A", "M1", "Theft By Unlawful Taking - Movable Property"),
    "rsp": ("18 § 3925 §§ A", "M1", "Receiving Stolen Property"),
    "retail_theft": ("18 § 3929 §§ A1", "M2", "Retail Theft-Take Merchandise"),
    "simple_assault": ("18 § 2701 §§ A1", "M2", "Simple Assault"),
    "reap": ("18 § 2705", "M2", "Recklessly Endangering Another Person"),
    "terroristic_threats": ("18 § 2706 §§ A1", "M1", "Terroristic Threats With Intent to Terrorize Another"),
    "pic": ("18 § 907 §§ A", "M1", "Possessing Instruments Of Crime With Intent"),
    "firearms_6108": ("18 § 6108", "M1", "Carrying Firearms On Public Streets Or Public Property In Philadelphia"),
    "possession": ("35 § 780-113 §§ A16", "M",
                   "Intentional Possession of a Controlled Substance by Person Not Registered"),
    "paraphernalia": ("35 § 780-113 §§ A32", "M", "Use/Possession of Drug Paraphernalia"),
    "marijuana_small": ("35 § 780-113 §§ A31", "M", "Marijuana-Small Amount Personal Use"),
    "dui": ("75 § 3802 §§ A1*", "M", "DUI: Gen Imp/Inc of Driving Safely - 1st Off"),
    "resisting": ("18 § 5104", "M2", "Resisting Arrest/Other Law Enforcement"),
    "unauthorized_vehicle": ("18 § 3928 §§ A", "M2", "Unauthorized Use Of Motor Vehicles"),
    "disorderly": ("18 § 5503 §§ A1", "M3", "Disorderly Conduct Engage In Fighting"),
    "public_drunk": ("18 § 5505", "S", "Public Drunkenness And Similar Misconduct"),
    "harassment": ("18 § 2709 §§ A1", "S", "Harassment - Subject Other to Physical Contact"),
}

VIOLENT_QUALIFYING = ("agg_assault_a1", "robbery_a1i", "robbery_a1ii", "sexual_assault")

# Background arrests: (lead charge, weight, co-charges that often come with it)
ARREST_MIX: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    ("pwid", 16, ("possession", "paraphernalia")),
    ("possession", 14, ("paraphernalia",)),
    ("marijuana_small", 4, ()),
    ("dui", 10, ()),
    ("retail_theft", 9, ("rsp",)),
    ("theft_m1", 6, ("rsp",)),
    ("theft_f3", 3, ("rsp",)),
    ("simple_assault", 11, ("reap", "terroristic_threats", "harassment")),
    ("agg_assault_a1", 3, ("simple_assault", "reap", "pic")),
    ("agg_assault_a4", 2, ("simple_assault", "pic")),
    ("robbery_a1ii", 2, ("theft_m1", "pic", "terroristic_threats")),
    ("robbery_a1iv", 2, ("theft_m1", "simple_assault")),
    ("burglary_a2", 2, ("trespass_a1ii", "theft_m1")),
    ("burglary_a4", 2, ("trespass_a1ii",)),
    ("firearms_6106", 4, ("firearms_6108",)),
    ("firearms_6105", 2, ("firearms_6106", "firearms_6108")),
    ("disorderly", 3, ("resisting",)),
    ("public_drunk", 2, ()),
    ("unauthorized_vehicle", 2, ("rsp",)),
)

# Charges a person held on an ICE detainer in the background tends to face (never judged: the
# background never holds anyone under a restricting policy).
DETAINER_MIX: tuple[str, ...] = (
    "pwid", "possession", "dui", "retail_theft", "simple_assault", "theft_m1", "firearms_6106",
    "agg_assault_a4", "burglary_a4", "unauthorized_vehicle",
)

DISTRICTS = ("01", "02", "03", "05", "06", "07", "08", "09", "12", "14", "15", "16", "17", "18",
             "19", "22", "24", "25", "26", "35", "39")


def district_name(dd: str) -> str:
    n = int(dd)
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"Philadelphia Police Department, {n}{suffix} District"


@dataclass(frozen=True)
class Account:
    account_id: str
    agency: str
    kind: str            # city, federal_immigration, federal_other, state, service
    start: date
    end: date | None
    can_write: bool
    work_hours: str      # "" = pack default 07:00-19:00
    addr: str
    base: float          # mean person-record actions on a working day
    role: str            # ppd, dao, fjd_clerk, pts, app, pdp, night, dba, svc, ice, fbi, atf, psp, pbpp

    def active(self, d: date) -> bool:
        return self.start <= d and (self.end is None or d <= self.end)

    def hours(self) -> tuple[int, int]:
        """Work window in minutes after local midnight; an overnight window has end < start."""
        text = self.work_hours or "07:00-19:00"
        a, b = text.split("-")
        return int(a[:2]) * 60 + int(a[3:]), int(b[:2]) * 60 + int(b[3:])


def _d(text: str) -> date:
    return date.fromisoformat(text)


# The standing registry. Person-record accounts of city agencies work weekdays in their hours;
# federal and state accounts leave work_hours empty (the pack's off-hours rule is about city
# accounts); service accounts run around the clock and never read person records.
BASE_ACCOUNTS: tuple[Account, ...] = (
    Account("PPD-D01-0417", district_name("01"), "city", _d("2005-03-14"), None, False, "07:00-19:00", "10.31.1.17", 5, "ppd"),
    Account("PPD-D03-0288", district_name("03"), "city", _d("2006-01-09"), None, False, "", "10.31.3.28", 9, "ppd"),
    Account("PPD-D06-0532", district_name("06"), "city", _d("2004-11-01"), None, False, "07:00-19:00", "10.31.6.53", 13, "ppd"),
    Account("PPD-D09-0174", district_name("09"), "city", _d("2007-05-21"), None, False, "07:00-19:00", "10.31.9.17", 6, "ppd"),
    Account("PPD-D12-0961", district_name("12"), "city", _d("2006-08-07"), None, False, "", "10.31.12.96", 10, "ppd"),
    Account("PPD-D14-0345", district_name("14"), "city", _d("2005-10-17"), None, False, "07:00-19:00", "10.31.14.34", 5, "ppd"),
    Account("PPD-D16-0703", district_name("16"), "city", _d("2008-02-25"), None, False, "07:00-19:00", "10.31.16.70", 8, "ppd"),
    Account("PPD-D18-0219", district_name("18"), "city", _d("2004-06-28"), None, False, "", "10.31.18.21", 12, "ppd"),
    Account("PPD-D19-0856", district_name("19"), "city", _d("2007-09-10"), None, False, "07:00-19:00", "10.31.19.85", 4, "ppd"),
    Account("PPD-D22-0127", district_name("22"), "city", _d("2006-04-03"), None, False, "07:00-19:00", "10.31.22.12", 14, "ppd"),
    Account("PPD-D24-0490", district_name("24"), "city", _d("2005-01-24"), None, False, "07:00-19:00", "10.31.24.49", 15, "ppd"),
    Account("PPD-D25-0611", district_name("25"), "city", _d("2008-07-14"), None, False, "", "10.31.25.61", 12, "ppd"),
    Account("PPD-D35-0382", district_name("35"), "city", _d("2007-12-03"), None, False, "07:00-19:00", "10.31.35.38", 6, "ppd"),
    Account("PPD-D39-0745", district_name("39"), "city", _d("2006-10-30"), None, False, "07:00-19:00", "10.31.39.74", 9, "ppd"),
    Account("PPD-D15-0229", district_name("15") + " (night shift)", "city", _d("2008-03-31"), None, False, "23:00-07:00", "10.31.15.22", 6, "night"),
    Account("DAO-CHG-0031", "Philadelphia District Attorney's Office, Charging Unit", "city", _d("2004-09-13"), None, False, "08:00-18:00", "10.40.2.31", 18, "dao"),
    Account("DAO-DIV-0112", "Philadelphia District Attorney's Office, Diversion Unit", "city", _d("2006-02-06"), None, False, "08:00-18:00", "10.40.2.112", 14, "dao"),
    Account("DAO-HOM-0007", "Philadelphia District Attorney's Office, Homicide Unit", "city", _d("2005-05-16"), None, False, "08:00-18:00", "10.40.3.7", 8, "dao"),
    Account("FJD-PTS-0044", "First Judicial District, Pretrial Services", "city", _d("2006-06-19"), None, False, "07:00-19:00", "10.50.4.44", 12, "pts"),
    Account("FJD-APP-0090", "First Judicial District, Adult Probation and Parole", "city", _d("2007-03-05"), None, False, "08:00-17:00", "10.50.6.90", 7, "app"),
    Account("FJD-CLK-0207", "First Judicial District, Criminal Listings Clerk", "city", _d("2004-08-02"), None, True, "08:00-17:00", "10.50.2.207", 11, "fjd_clerk"),
    Account("PDP-REC-0015", "Philadelphia Department of Prisons, Records Unit", "city", _d("2005-02-07"), None, True, "07:00-19:00", "10.60.1.15", 9, "pdp"),
    Account("OIT-DBA-0003", "Office of Innovation and Technology, Database Administration", "city", _d("2009-01-05"), None, True, "08:00-17:00", "10.20.9.3", 3, "dba"),
    Account("ICE-ERO-PHL-01", "ICE ERO Philadelphia", "federal_immigration", _d("2010-03-01"), None, False, "", "198.51.100.23", 16, "ice"),
    Account("ICE-ERO-PHL-02", "ICE ERO Philadelphia", "federal_immigration", _d("2012-09-04"), None, False, "", "198.51.100.24", 12, "ice"),
    Account("FBI-PHL-0007", "FBI Philadelphia Field Office", "federal_other", _d("2007-06-04"), None, False, "", "203.0.113.7", 3, "fbi"),
    Account("ATF-PHL-0003", "ATF Philadelphia Field Division", "federal_other", _d("2009-01-12"), None, False, "", "203.0.113.33", 2, "atf"),
    Account("PSP-K-0042", "Pennsylvania State Police, Troop K", "state", _d("2006-09-18"), None, False, "", "192.0.2.42", 4, "psp"),
    Account("PBPP-PHL-0019", "Pennsylvania Board of Probation and Parole, Philadelphia District", "state", _d("2008-05-05"), None, False, "", "192.0.2.119", 3, "pbpp"),
    Account("svc_pars_etl", "Office of Innovation and Technology, PARS integration", "service", _d("2004-01-05"), None, True, "", "10.20.5.11", 0, "svc"),
)

# Database users of the audited PostgreSQL source and the accounts they belong to.
ACCOUNT_MAP: tuple[tuple[str, str, str], ...] = (
    ("pars_db", "dba_oit03", "OIT-DBA-0003"),
    ("pars_db", "pars_etl", "svc_pars_etl"),
)
DB_USER = {account: user for _, user, account in ACCOUNT_MAP}

JUDGES = (
    "Hon. M. Okafor, U.S. Magistrate Judge, E.D. Pa.",
    "Hon. R. Delgado, U.S. Magistrate Judge, E.D. Pa.",
    "Hon. S. Whitfield, U.S. District Judge, E.D. Pa.",
    "Hon. L. Brennan, U.S. Magistrate Judge, E.D. Pa.",
)

SURNAMES = (
    "SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS", "RODRIGUEZ",
    "MARTINEZ", "HERNANDEZ", "LOPEZ", "GONZALEZ", "WILSON", "ANDERSON", "THOMAS", "TAYLOR",
    "MOORE", "JACKSON", "MARTIN", "LEE", "PEREZ", "THOMPSON", "WHITE", "HARRIS", "SANCHEZ",
    "CLARK", "RAMIREZ", "LEWIS", "ROBINSON", "WALKER", "YOUNG", "ALLEN", "KING", "WRIGHT",
    "SCOTT", "TORRES", "NGUYEN", "HILL", "FLORES", "GREEN", "ADAMS", "NELSON", "BAKER", "HALL",
    "RIVERA", "CAMPBELL", "MITCHELL", "CARTER", "ROBERTS", "PHILLIPS", "EVANS", "TURNER",
    "DIAZ", "PARKER", "CRUZ", "EDWARDS", "COLLINS", "REYES", "STEWART", "MORRIS", "MORALES",
    "MURPHY", "COOK", "ROGERS", "ORTIZ", "MORGAN", "COOPER", "PETERSON", "BAILEY", "REED",
    "KELLY", "HOWARD", "KIM", "COX", "WARD", "RICHARDSON", "WATSON", "BROOKS", "WOOD", "JAMES",
    "BENNETT", "GRAY", "MENDOZA", "HUGHES", "PRICE", "SANDERS", "PATEL", "MYERS", "LONG", "ROSS",
    "FOSTER", "JIMENEZ", "SULLIVAN", "OKAFOR", "TRAN", "FIGUEROA", "SANTIAGO", "VARGAS",
)
FIRST_NAMES = (
    "JAMES", "JOHN", "ROBERT", "MICHAEL", "WILLIAM", "DAVID", "JOSE", "RICHARD", "JOSEPH",
    "THOMAS", "CHARLES", "CHRISTOPHER", "DANIEL", "MATTHEW", "ANTHONY", "MARK", "LUIS", "DONALD",
    "STEVEN", "KEVIN", "BRIAN", "JUAN", "TYRONE", "ANDRE", "MARCUS", "DARNELL", "CARLOS",
    "MIGUEL", "KAREEM", "JAMAL", "MARY", "PATRICIA", "JENNIFER", "LINDA", "ELIZABETH", "MARIA",
    "SUSAN", "JESSICA", "SARAH", "KAREN", "NANCY", "LISA", "ANGELA", "SHANICE", "KEISHA", "ANA",
    "ROSA", "TANYA", "NICOLE", "DANIELLE", "VICTOR", "HECTOR", "RAFAEL", "DMITRI", "OLEKSANDR",
    "WEI", "MINH", "ADEBAYO", "IBRAHIM", "SAMUEL",
)
