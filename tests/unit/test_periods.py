"""Periods and the GST calendar: ims-rules.md sections 3, 6 and 9; gst-formats.md section 7."""

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ims_domain.errors import ImsDomainError
from ims_domain.periods import (
    FIRST_IMS_PERIOD,
    IST,
    NEW_PENDING_RULES_FROM,
    QRMP_STATE_GROUP_A,
    DueDateOverrides,
    FilingFrequency,
    FinancialYear,
    GstCalendar,
    PeriodError,
    Quarter,
    ReturnPeriod,
    StateGroup,
    SupplierReturn,
    in_ims_era,
    parse_due_date_overrides,
    state_group_of,
    tax_period_last_month,
)

MONTHLY = FilingFrequency.MONTHLY
QRMP = FilingFrequency.QUARTERLY
CAL = GstCalendar()
# Supplier returns on the 14th-to-13th window of R6.3.
THIRTEENTH_CUTOFF_FORMS = [
    SupplierReturn.IFF,
    SupplierReturn.GSTR1_QUARTERLY,
    SupplierReturn.GSTR5,
    SupplierReturn.GSTR6,
]


def p(code: str) -> ReturnPeriod:
    return ReturnPeriod.parse(code)


def d(text: str) -> date:
    """'14-Nov-2025' as a date (the notation of ims-rules.md)."""
    return datetime.strptime(text, "%d-%b-%Y").replace(tzinfo=IST).date()


def ist(text: str, at: time) -> datetime:
    return datetime.combine(d(text), at, tzinfo=IST)


START_OF_DAY = time(0, 0)
END_OF_DAY = time(23, 59, 59)


# --- The calendar table of section 6 -------------------------------------------------------------

# 2B month, monthly GSTR-1 window, IFF / quarterly GSTR-1 window, draft 2B, 3B due, Pending until.
CALENDAR_TABLE = [
    ("092025", "12-Sep-2025", "11-Oct-2025", "14-Sep-2025", "13-Oct-2025",
     "14-Oct-2025", "20-Oct-2025", None),
    ("102025", "12-Oct-2025", "11-Nov-2025", "14-Oct-2025", "13-Nov-2025",
     "14-Nov-2025", "20-Nov-2025", "20-Dec-2025"),
    ("112025", "12-Nov-2025", "11-Dec-2025", "14-Nov-2025", "13-Dec-2025",
     "14-Dec-2025", "20-Dec-2025", "20-Jan-2026"),
    ("122025", "12-Dec-2025", "11-Jan-2026", "14-Dec-2025", "13-Jan-2026",
     "14-Jan-2026", "20-Jan-2026", "20-Feb-2026"),
    ("012026", "12-Jan-2026", "11-Feb-2026", "14-Jan-2026", "13-Feb-2026",
     "14-Feb-2026", "20-Feb-2026", "20-Mar-2026"),
    ("022026", "12-Feb-2026", "11-Mar-2026", "14-Feb-2026", "13-Mar-2026",
     "14-Mar-2026", "20-Mar-2026", "20-Apr-2026"),
    ("032026", "12-Mar-2026", "11-Apr-2026", "14-Mar-2026", "13-Apr-2026",
     "14-Apr-2026", "20-Apr-2026", "20-May-2026"),
]  # fmt: skip
ROW_IDS = [row[0] for row in CALENDAR_TABLE]


@pytest.mark.parametrize("row", CALENDAR_TABLE, ids=ROW_IDS)
def test_R6_3_monthly_gstr1_window_of_calendar_table(row: tuple[str, ...]) -> None:
    """R6.3: monthly GSTR-1 lands in M from 00:00 on the 12th of M to 23:59:59 on the 11th."""
    month, start, end = p(row[0]), row[1], row[2]
    form = SupplierReturn.GSTR1
    opens, closes = ist(start, START_OF_DAY), ist(end, END_OF_DAY)
    assert CAL.two_b_period_of_filing(opens, form) == month
    assert CAL.two_b_period_of_filing(closes, form) == month
    assert CAL.two_b_period_of_filing(opens - timedelta(seconds=1), form) == month.previous()
    assert CAL.two_b_period_of_filing(closes + timedelta(seconds=1), form) == month.next()
    assert CAL.filing_cutoff(month, form) == d(end)


@pytest.mark.parametrize("form", THIRTEENTH_CUTOFF_FORMS)
@pytest.mark.parametrize("row", CALENDAR_TABLE, ids=ROW_IDS)
def test_R6_3_iff_quarterly_gstr5_gstr6_window_of_calendar_table(
    row: tuple[str, ...], form: SupplierReturn
) -> None:
    """R6.3: IFF, quarterly GSTR-1, GSTR-5 and GSTR-6 land in M from the 14th of M to the 13th."""
    month, start, end = p(row[0]), row[3], row[4]
    opens, closes = ist(start, START_OF_DAY), ist(end, END_OF_DAY)
    assert CAL.two_b_period_of_filing(opens, form) == month
    assert CAL.two_b_period_of_filing(closes, form) == month
    assert CAL.two_b_period_of_filing(opens - timedelta(seconds=1), form) == month.previous()
    assert CAL.two_b_period_of_filing(closes + timedelta(seconds=1), form) == month.next()
    assert CAL.filing_cutoff(month, form) == d(end)


@pytest.mark.parametrize("row", CALENDAR_TABLE, ids=ROW_IDS)
def test_R6_2_draft_2b_of_calendar_table(row: tuple[str, ...]) -> None:
    """R6.2: the draft 2B of M is generated on the 14th of M+1 for a monthly recipient."""
    assert CAL.gstr2b_generation_date(p(row[0]), MONTHLY) == d(row[5])


@pytest.mark.parametrize("row", CALENDAR_TABLE, ids=ROW_IDS)
def test_R6_4_monthly_3b_due_of_calendar_table(row: tuple[str, ...]) -> None:
    """R6.4: a monthly recipient's GSTR-3B of M is due on the 20th of M+1."""
    assert CAL.gstr3b_due(p(row[0]), MONTHLY) == d(row[6])


@pytest.mark.parametrize("row", CALENDAR_TABLE, ids=ROW_IDS)
def test_R3_4_specified_record_pending_until_of_calendar_table(row: tuple[str, ...]) -> None:
    """R3.4, R3.6: Pending until 3B(M+1) is due; never allowed for 2B periods before Oct-2025."""
    expected = None if row[7] is None else d(row[7])
    assert CAL.pending_deadline(p(row[0]), MONTHLY) == expected


def test_R6_4_R6_2_qrmp_quarter_oct_dec_2025_below_the_table() -> None:
    """R6.4, R6.2, R3.4, OQ12: QRMP Oct-Dec 2025: 2B 14-Jan, 3B 22/24-Jan, Pending 22/24-Apr."""
    for month in ("102025", "112025", "122025"):
        period = p(month)
        assert CAL.gstr2b_generation_date(period, QRMP) == d("14-Jan-2026")
        assert CAL.gstr3b_due(period, QRMP, StateGroup.A) == d("22-Jan-2026")
        assert CAL.gstr3b_due(period, QRMP, StateGroup.B) == d("24-Jan-2026")
        assert CAL.pending_deadline(period, QRMP, StateGroup.A) == d("22-Apr-2026")
        assert CAL.pending_deadline(period, QRMP, StateGroup.B) == d("24-Apr-2026")


def test_OQ12_R2_3_qrmp_recipient_gets_no_monthly_draft_2b() -> None:
    """OQ12, R2.3: months 1 and 2 of a QRMP quarter have no 2B of their own on the 14th."""
    assert CAL.gstr2b_generation_date(p("102025"), QRMP) != d("14-Nov-2025")
    assert CAL.gstr2b_generation_date(p("102025"), MONTHLY) == d("14-Nov-2025")


# --- Worked examples -----------------------------------------------------------------------------


def test_E1_monthly_credit_note_pending_until_20_dec_2025() -> None:
    """E1 (R3.3, R3.4, R6.3): CN in Oct-2025 GSTR-1 filed 10-Nov-2025, Pending until 20-Dec-2025."""
    two_b = CAL.two_b_period_of_filing(ist("10-Nov-2025", time(12)), SupplierReturn.GSTR1)
    assert two_b == p("102025")
    assert CAL.gstr2b_generation_date(two_b, MONTHLY) == d("14-Nov-2025")
    assert CAL.pending_deadline(two_b, MONTHLY) == d("20-Dec-2025")
    # Accepted on 5-Dec-2025 it reaches the Nov-2025 2B of 14-Dec-2025.
    assert CAL.gstr2b_generation_date(two_b.next(), MONTHLY) == d("14-Dec-2025")


@pytest.mark.parametrize(
    ("state_code", "group", "deadline"),
    [("27", StateGroup.A, "22-Apr-2026"), ("07", StateGroup.B, "24-Apr-2026")],
    ids=["maharashtra", "delhi"],
)
def test_E2_qrmp_credit_note_pending_until_next_quarter_3b(
    state_code: str, group: StateGroup, deadline: str
) -> None:
    """E2 (R3.3, R3.4, R6.4): QRMP CN of 2B Nov-2025 is Pending until the Jan-Mar 2026 3B."""
    two_b = CAL.two_b_period_of_filing(ist("11-Dec-2025", time(18)), SupplierReturn.GSTR1)
    assert two_b == p("112025")
    assert two_b.quarter.label == "Oct-Dec 2025"
    assert two_b.quarter.next().label == "Jan-Mar 2026"
    assert CAL.gstr2b_generation_date(two_b, QRMP) == d("14-Jan-2026")
    assert state_group_of(state_code) is group
    assert CAL.pending_deadline(two_b, QRMP, state_group_of(state_code)) == d(deadline)


def test_E3_gstr1_filed_on_12th_lands_in_next_period() -> None:
    """E3 (R6.3): Oct-2025 GSTR-1 filed 12-Nov-2025 09:00 -> Nov-2025; 11-Nov 23:50 -> Oct-2025."""
    late = CAL.two_b_period_of_filing(ist("12-Nov-2025", time(9)), SupplierReturn.GSTR1)
    assert late == p("112025")
    assert CAL.gstr2b_generation_date(late, MONTHLY) == d("14-Dec-2025")
    assert CAL.gstr3b_due(late, MONTHLY) == d("20-Dec-2025")
    on_time = CAL.two_b_period_of_filing(ist("11-Nov-2025", time(23, 50)), SupplierReturn.GSTR1)
    assert on_time == p("102025")


def test_E3_iff_filed_on_13th_and_14th() -> None:
    """E3 (R6.3): IFF for October filed 13-Nov-2025 -> Oct-2025; filed 14-Nov-2025 -> Nov-2025."""
    iff = SupplierReturn.IFF
    assert CAL.two_b_period_of_filing(ist("13-Nov-2025", time(23, 59)), iff) == p("102025")
    assert CAL.two_b_period_of_filing(ist("14-Nov-2025", time(0, 1)), iff) == p("112025")


def test_E3_R6_3_utc_filing_time_is_judged_in_ist() -> None:
    """E3, R6.3: 11-Nov-2025 19:00 UTC is 12-Nov 00:30 IST, so the filing lands in Nov-2025."""
    filed = datetime(2025, 11, 11, 19, 0, tzinfo=UTC)
    assert CAL.two_b_period_of_filing(filed, SupplierReturn.GSTR1) == p("112025")
    assert CAL.two_b_period_of_filing(filed - timedelta(hours=1), SupplierReturn.GSTR1) == p(
        "102025"
    )


def test_R6_3_naive_filing_time_is_refused() -> None:
    """R6.3: a filing time without a zone cannot be placed against the IST cut-off."""
    with pytest.raises(PeriodError, match=r"2025-11-12T09:00:00 has no time zone"):
        CAL.two_b_period_of_filing(datetime(2025, 11, 12, 9, 0), SupplierReturn.GSTR1)  # noqa: DTZ001


# Credit note date, supplier return, filing day, expected 2B period, Pending allowed (new rule).
E5_ROWS = [
    ("15-Sep-2025", SupplierReturn.GSTR1, "11-Oct-2025", "092025", False),
    ("15-Mar-2025", SupplierReturn.GSTR1, "11-Nov-2025", "102025", True),
    # GSTR-1A: the cut-off of the supplier's GSTR-1 type applies to the 1A filing (section 10).
    ("20-Sep-2025", SupplierReturn.GSTR1, "14-Oct-2025", "102025", True),
]


@pytest.mark.parametrize("row", E5_ROWS, ids=["sep-gstr1", "mar-cn-in-oct-gstr1", "sep-gstr1a"])
def test_E5_R3_6_two_b_period_from_filing_date_picks_the_pending_rule(
    row: tuple[str, SupplierReturn, str, str, bool],
) -> None:
    """E5, R3.6: the 2B period comes from the filing date and alone picks the old or new rule."""
    document_date, form, filed_on, expected, new_rule = row
    two_b = CAL.two_b_period_of_filing(ist(filed_on, time(15)), form)
    assert two_b == p(expected)
    assert (CAL.pending_deadline(two_b, MONTHLY) is not None) is new_rule
    assert (two_b >= NEW_PENDING_RULES_FROM) is new_rule
    assert ReturnPeriod.of(d(document_date)) <= two_b


def test_E5_credit_note_in_oct_2025_gstr1_is_new_rule_from_the_moment_it_is_saved() -> None:
    """E5, R3.6: a CN saved in the Oct-2025 GSTR-1 is new-rule even before the supplier files."""
    two_b = CAL.earliest_two_b_period(p("102025"), SupplierReturn.GSTR1)
    assert two_b == p("102025")
    assert CAL.pending_deadline(two_b, MONTHLY) == d("20-Dec-2025")


def test_E6_R1_9_saved_not_filed_record_earliest_period_and_cutoff() -> None:
    """E6, R1.9: Nov-2025 invoice saved, not filed: Nov-2025 if filed by 11-Dec-2025, else later."""
    gstr1 = SupplierReturn.GSTR1
    assert CAL.earliest_two_b_period(p("112025"), gstr1) == p("112025")
    assert CAL.filing_cutoff(p("112025"), gstr1) == d("11-Dec-2025")
    filed = CAL.two_b_period_of_filing(ist("15-Dec-2025", time(10)), gstr1)
    assert filed == p("122025")
    assert CAL.gstr2b_generation_date(filed, MONTHLY) == d("14-Jan-2026")


def test_R1_9_quarterly_gstr1_record_lands_no_earlier_than_the_quarter_end() -> None:
    """R1.9, R6.3: a record of a quarterly GSTR-1 (fp = quarter end) lands no earlier than Dec."""
    form = SupplierReturn.GSTR1_QUARTERLY
    assert CAL.earliest_two_b_period(p("112025"), form) == p("122025")
    assert CAL.earliest_two_b_period(p("112025"), SupplierReturn.IFF) == p("112025")
    assert CAL.filing_cutoff(p("122025"), form) == d("13-Jan-2026")


def test_E9_downward_amendment_of_dec_2025_pending_until_20_feb_2026() -> None:
    """E9 (R3.2 (4)): amendment in Dec-2025 GSTR-1 filed 11-Jan-2026: 2B Dec-2025, 20-Feb-2026."""
    two_b = CAL.two_b_period_of_filing(ist("11-Jan-2026", time(20)), SupplierReturn.GSTR1)
    assert two_b == p("122025")
    assert CAL.pending_deadline(two_b, MONTHLY) == d("20-Feb-2026")


def test_E10_R3_1_s16_4_limit_is_30_nov_after_the_fy() -> None:
    """E10, R3.1: INV-90 of 10-Feb-2026 (FY 2025-26) can be claimed until 30-Nov-2026."""
    assert CAL.s16_4_limit(d("10-Feb-2026")) == d("30-Nov-2026")


def test_E10_R3_1_earlier_annual_return_wins() -> None:
    """E10, R3.1: filing the FY 2025-26 annual return before 30-Nov-2026 ends the window then."""
    assert CAL.s16_4_limit(d("10-Feb-2026"), d("15-Oct-2026")) == d("15-Oct-2026")
    assert CAL.s16_4_limit(d("10-Feb-2026"), d("31-Dec-2026")) == d("30-Nov-2026")


def test_OQ3_s16_4_deadline_setting_moves_the_limit() -> None:
    """OQ3, R3.1: itc.s16_4_deadline is configurable, e.g. the 3B(November) due date 20 December."""
    assert GstCalendar(s16_4_month_day=(12, 20)).s16_4_limit(d("10-Feb-2026")) == d("20-Dec-2026")
    # A January-March setting can only fall in the calendar year after the FY has ended.
    assert GstCalendar(s16_4_month_day=(1, 31)).s16_4_limit(d("10-Feb-2026")) == d("31-Jan-2027")


def test_OQ3_invalid_s16_4_setting_and_annual_return_date_are_refused() -> None:
    """OQ3, R3.1: a month/day missing in some years, or an annual return within the FY: refused."""
    with pytest.raises(PeriodError, match=r"itc.s16_4_deadline \(2, 29\)"):
        GstCalendar(s16_4_month_day=(2, 29))
    with pytest.raises(PeriodError, match=r"annual return filed on 2026-03-31 .* FY 2025-26"):
        CAL.s16_4_limit(d("10-Feb-2026"), d("31-Mar-2026"))


def test_R3_1_s16_4_limit_at_financial_year_boundary() -> None:
    """R3.1: 31 March belongs to the ending FY, 1 April to the next one."""
    assert CAL.s16_4_limit(d("31-Mar-2026")) == d("30-Nov-2026")
    assert CAL.s16_4_limit(d("01-Apr-2026")) == d("30-Nov-2027")


# --- Due dates and overrides (R6.1, R6.4, section 10) --------------------------------------------


def test_R6_1_supplier_due_dates() -> None:
    """R6.1: monthly GSTR-1 on the 11th, IFF on the 13th of M+1, quarterly GSTR-1 13th after."""
    assert CAL.gstr1_due(p("102025")) == d("11-Nov-2025")
    assert CAL.iff_due(p("102025")) == d("13-Nov-2025")
    assert CAL.iff_due(p("112025")) == d("13-Dec-2025")
    assert CAL.quarterly_gstr1_due(p("112025").quarter) == d("13-Jan-2026")
    assert CAL.quarterly_gstr1_due(Quarter(2025, 4)) == d("13-Apr-2026")


def test_R6_1_iff_is_not_filed_for_a_quarters_last_month() -> None:
    """R6.1: IFF covers months 1 and 2 of a quarter; month 3 goes in the quarterly GSTR-1."""
    with pytest.raises(PeriodError, match="Dec-2025 is a quarter's last month"):
        CAL.iff_due(p("122025"))


def test_R6_4_qrmp_3b_without_state_group_is_refused() -> None:
    """R6.4: the QRMP 3B due date depends on the state group, so it cannot be guessed."""
    with pytest.raises(PeriodError, match="Oct-2025 needs the recipient's state group"):
        CAL.gstr3b_due(p("102025"), QRMP)
    with pytest.raises(PeriodError, match="state group"):
        CAL.pending_deadline(p("102025"), QRMP)


def test_R6_4_state_groups() -> None:
    """R6.4: group A (22nd) is the listed southern and western states; all others are B (24th)."""
    expected_a = {"22", "23", "24", "25", "26", "27", "28", "29"}
    expected_a |= {"30", "31", "32", "33", "34", "35", "36", "37"}
    assert expected_a == QRMP_STATE_GROUP_A
    for code in expected_a:
        assert state_group_of(code) is StateGroup.A
    for code in [f"{n:02d}" for n in range(1, 22)] + ["38", "97", "99"]:
        assert state_group_of(code) is StateGroup.B
    assert state_group_of(" 27 ") is StateGroup.A


def test_R6_4_state_code_must_be_two_digits() -> None:
    """R6.4: the group is read from the GSTIN's two-digit state code."""
    for bad in ["7", "270", "MH", "２７"]:
        with pytest.raises(PeriodError, match=f"state code {bad!r} is not two digits"):
            state_group_of(bad)


OVERRIDES_TOML = """
# Government extensions by notification
[gstr3b]
"102025" = 2025-11-25      # TOML date
"112025" = "27-12-2025"
[gstr3b_qrmp_A]
"032026" = "2026-04-30"
[gstr2b]
"122025" = 2026-01-15
[gstr1]
"102025" = 2025-11-12
[iff]
"102025" = 2025-11-14
[gstr1q]
"122025" = 2026-01-16
"""


def test_R6_4_overrides_change_3b_due_and_therefore_the_pending_deadline() -> None:
    """R6.4, R3.4: an extended 3B due date also extends the Pending deadline that depends on it."""
    cal = GstCalendar(parse_due_date_overrides(OVERRIDES_TOML))
    assert cal.gstr3b_due(p("102025"), MONTHLY) == d("25-Nov-2025")
    assert cal.gstr3b_due(p("112025"), MONTHLY) == d("27-Dec-2025")
    assert cal.pending_deadline(p("102025"), MONTHLY) == d("27-Dec-2025")
    assert cal.pending_deadline(p("112025"), MONTHLY) == d("20-Jan-2026")
    assert cal.pending_deadline(p("112025"), QRMP, StateGroup.A) == d("30-Apr-2026")
    assert cal.pending_deadline(p("112025"), QRMP, StateGroup.B) == d("24-Apr-2026")
    assert cal.gstr3b_due(p("022026"), QRMP, StateGroup.A) == d("30-Apr-2026")


def test_R6_1_R6_2_overrides_change_supplier_and_2b_dates_but_not_r6_3_cutoffs() -> None:
    """R6.1, R6.2, R6.3: overrides move due dates and 2B generation, never the 2B filing windows."""
    cal = GstCalendar(parse_due_date_overrides(OVERRIDES_TOML))
    assert cal.gstr1_due(p("102025")) == d("12-Nov-2025")
    assert cal.iff_due(p("102025")) == d("14-Nov-2025")
    assert cal.quarterly_gstr1_due(Quarter(2025, 3)) == d("16-Jan-2026")
    assert cal.gstr2b_generation_date(p("122025"), MONTHLY) == d("15-Jan-2026")
    assert cal.gstr2b_generation_date(p("102025"), QRMP) == d("15-Jan-2026")
    assert cal.filing_cutoff(p("102025"), SupplierReturn.GSTR1) == d("11-Nov-2025")
    filed = ist("12-Nov-2025", time(9))
    assert cal.two_b_period_of_filing(filed, SupplierReturn.GSTR1) == p("112025")


def test_overrides_empty_and_equality() -> None:
    """Section 10: without overrides the standard calendar applies; overrides compare by content."""
    assert GstCalendar() == GstCalendar(DueDateOverrides.empty())
    assert parse_due_date_overrides("") == DueDateOverrides.empty()
    assert parse_due_date_overrides(OVERRIDES_TOML) == parse_due_date_overrides(OVERRIDES_TOML)
    assert hash(GstCalendar()) == hash(GstCalendar())


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[gstr9]\n"102025" = 2025-11-25', r"\[gstr9\] '102025' = 2025-11-25: unknown due kind"),
        ('[gstr3b]\n"132025" = 2025-11-25', r"\[gstr3b\] '132025' .* month 13 is not 01-12"),
        ('[gstr3b]\n"10-2025" = 2025-11-25', r"\[gstr3b\] '10-2025' .* expected 6 digits"),
        ('[gstr3b]\n"102025" = "31-11-2025"', r"\[gstr3b\] '102025' = '31-11-2025': not a date"),
        ('[gstr3b]\n"102025" = "next week"', r"\[gstr3b\] '102025' = 'next week': not a date"),
        ('[gstr3b]\n"102025" = 25', r"\[gstr3b\] '102025' = 25: expected a date"),
        ('[gstr3b]\n"102025" = 2025-11-25T10:00:00', r"'102025' = 2025-11-25 10:00:00: expected"),
        ('[gstr3b]\n"102025" = 2025-10-20', r"'102025' = 2025-10-20: .* after the end of Oct-2025"),
        ('[gstr3b_qrmp_B]\n"112025" = 2026-01-27', r"\[gstr3b_qrmp_B\] '112025' .* last month"),
        ('[gstr1q]\n"112025" = 2026-01-27', r"\[gstr1q\] '112025' .* last month"),
        ('[iff]\n"122025" = 2026-01-27', r"\[iff\] '122025' .* months 1 and 2"),
        (
            '[gstr3b]\n"102025" = 2025-11-25\n" 102025" = 2025-11-26',
            r"period 102025 is given twice",
        ),
        ('gstr3b = "2025-11-25"', r"'gstr3b' = '2025-11-25' is not a table"),
        ("[gstr3b\n", r"not valid TOML"),
    ],
)
def test_due_date_override_errors_name_table_key_and_value(toml: str, message: str) -> None:
    """Section 10: a bad override names the table, key and value, and what was expected."""
    with pytest.raises(PeriodError, match=message):
        parse_due_date_overrides(toml)


def test_period_error_is_an_ims_domain_error() -> None:
    """Adapters catch ImsDomainError only."""
    assert issubclass(PeriodError, ImsDomainError)


# --- Periods, financial years, quarters (gst-formats.md section 7) --------------------------------


def test_return_period_code_label_and_days() -> None:
    """gst-formats 7: MMYYYY code, 'Oct-2025' label, calendar month bounds."""
    oct25 = ReturnPeriod(2025, 10)
    assert ReturnPeriod.parse(" 102025\n") == oct25
    assert oct25.code == str(oct25) == "102025"
    assert oct25.label == "Oct-2025"
    assert (oct25.first_day, oct25.last_day) == (date(2025, 10, 1), date(2025, 10, 31))
    assert ReturnPeriod(2024, 2).last_day == date(2024, 2, 29)
    assert ReturnPeriod(2025, 2).last_day == date(2025, 2, 28)
    assert ReturnPeriod.of(date(2025, 12, 31)) == ReturnPeriod(2025, 12)


def test_return_period_shift_and_order() -> None:
    """Month arithmetic crosses year ends; periods order chronologically."""
    assert ReturnPeriod(2025, 12).next() == ReturnPeriod(2026, 1)
    assert ReturnPeriod(2026, 1).previous() == ReturnPeriod(2025, 12)
    assert ReturnPeriod(2025, 10).shift(-13) == ReturnPeriod(2024, 9)
    assert ReturnPeriod(2025, 9) < ReturnPeriod(2025, 10) < ReturnPeriod(2026, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("132025", r"return period '132025' is not MMYYYY: month 13 is not 01-12"),
        ("002025", r"month 00 is not 01-12"),
        ("10-2025", r"return period '10-2025' is not MMYYYY: expected 6 digits"),
        ("1020255", r"expected 6 digits"),
        ("", r"return period '' is not MMYYYY"),
        ("１０２０２５", r"expected 6 digits"),
        ("032017", r"'032017' is not MMYYYY: only financial years 2017-18 to 2099-00"),
        ("042100", r"only financial years"),
    ],
)
def test_return_period_parse_errors_name_the_part(text: str, message: str) -> None:
    """gst-formats 7: MMYYYY is six digits with month 01-12 within the supported GST years."""
    with pytest.raises(PeriodError, match=message):
        ReturnPeriod.parse(text)


def test_return_period_constructor_validates() -> None:
    """A period built directly is checked as strictly as a parsed one."""
    with pytest.raises(PeriodError, match="month=0: month 00 is not 01-12"):
        ReturnPeriod(2025, 0)
    assert ReturnPeriod.parse("042017") == ReturnPeriod(2017, 4)
    assert ReturnPeriod.parse("032100") == ReturnPeriod(2100, 3)


def test_financial_year_boundaries_march_vs_april() -> None:
    """gst-formats 7: FY starts in YYYY if MM >= 04, else YYYY - 1."""
    assert ReturnPeriod(2026, 3).financial_year == FinancialYear(2025)
    assert ReturnPeriod(2026, 4).financial_year == FinancialYear(2026)
    assert FinancialYear.of(date(2026, 3, 31)) == FinancialYear(2025)
    assert FinancialYear.of(date(2026, 4, 1)) == FinancialYear(2026)
    fy = FinancialYear.parse("2025-26")
    assert fy.label == "2025-26"
    assert (fy.first_day, fy.last_day) == (date(2025, 4, 1), date(2026, 3, 31))
    assert FinancialYear(2099).label == "2099-00"
    assert FinancialYear.parse("2099-00") == FinancialYear(2099)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2025-27", r"financial year '2025-27' is not YYYY-YY: 27 should be 26"),
        ("2025/26", r"financial year '2025/26' is not YYYY-YY like '2025-26'"),
        ("2025-2026", r"is not YYYY-YY"),
        ("2016-17", r"'2016-17': only financial years 2017-18"),
    ],
)
def test_financial_year_parse_errors_name_the_part(text: str, message: str) -> None:
    """gst-formats 7: FY labels are YYYY-YY with consecutive years."""
    with pytest.raises(PeriodError, match=message):
        FinancialYear.parse(text)


def test_quarters_of_the_financial_year() -> None:
    """gst-formats 7: Apr-Jun is quarter 1, Jan-Mar quarter 4; QRMP returns use the last month."""
    assert ReturnPeriod(2026, 3).quarter == Quarter(2025, 4)
    assert ReturnPeriod(2026, 4).quarter == Quarter(2026, 1)
    q3 = Quarter.of(ReturnPeriod(2025, 11))
    assert q3 == Quarter(2025, 3)
    assert q3.months == (p("102025"), p("112025"), p("122025"))
    assert q3.last_month == p("122025")
    assert q3.label == "Oct-Dec 2025"
    assert q3.next() == Quarter(2025, 4)
    assert q3.next().label == "Jan-Mar 2026"
    assert Quarter(2025, 4).next() == Quarter(2026, 1)
    assert Quarter(2026, 1).label == "Apr-Jun 2026"
    with pytest.raises(PeriodError, match="quarter number 5 is not 1-4"):
        Quarter(2025, 5)


def test_tax_period_last_month() -> None:
    """Terms: a monthly recipient's tax period is the month, a QRMP recipient's the quarter."""
    assert tax_period_last_month(p("112025"), MONTHLY) == p("112025")
    assert tax_period_last_month(p("112025"), QRMP) == p("122025")
    assert tax_period_last_month(p("122025"), QRMP) == p("122025")


def test_R1_8_ims_era_starts_with_2b_period_oct_2024() -> None:
    """R1.8: records of 2B period Sep-2024 or earlier never appear in IMS."""
    assert ReturnPeriod(2024, 10) == FIRST_IMS_PERIOD
    assert in_ims_era(p("102024"))
    assert not in_ims_era(p("092024"))


def test_R3_6_new_pending_rules_start_with_2b_period_oct_2025() -> None:
    """R3.6, R3.2: 2B up to Sep-2025 -> old rule (no Pending), from Oct-2025 -> new rule."""
    assert ReturnPeriod(2025, 10) == NEW_PENDING_RULES_FROM
    assert CAL.pending_deadline(p("092025"), QRMP, StateGroup.A) is None
    assert CAL.pending_deadline(p("102024"), MONTHLY) is None


# --- Properties -----------------------------------------------------------------------------------

periods = st.builds(ReturnPeriod, st.integers(2018, 2098), st.integers(1, 12))
mid_range_periods = st.builds(ReturnPeriod, st.integers(2028, 2088), st.integers(1, 12))
new_rule_periods = periods.filter(lambda period: period >= NEW_PENDING_RULES_FROM)
frequencies = st.sampled_from(FilingFrequency)
groups = st.sampled_from(StateGroup)
zones = st.sampled_from(
    [
        UTC,
        IST,
        ZoneInfo("America/New_York"),
        timezone(timedelta(hours=14)),
        timezone(-timedelta(hours=12)),
    ]
)
filing_times = st.datetimes(
    min_value=datetime(2018, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive by design
    max_value=datetime(2098, 12, 31),  # noqa: DTZ001
    timezones=zones,
)


@given(periods)
def test_property_parse_of_code_round_trips(period: ReturnPeriod) -> None:
    """gst-formats 7: ReturnPeriod.parse(p.code) == p."""
    assert ReturnPeriod.parse(period.code) == period


@given(mid_range_periods, st.integers(-120, 120))
def test_property_shift_back_and_forth_is_identity(period: ReturnPeriod, months: int) -> None:
    """shift(n).shift(-n) is the identity."""
    assert period.shift(months).shift(-months) == period


@given(filing_times, st.sampled_from(SupplierReturn))
def test_property_R6_3_filing_lands_in_filing_month_or_the_one_before(
    filed_at: datetime, form: SupplierReturn
) -> None:
    """R6.3: a filing lands in the IST filing month or the month before, never elsewhere."""
    filing_month = ReturnPeriod.of(filed_at.astimezone(IST).date())
    two_b = CAL.two_b_period_of_filing(filed_at, form)
    assert filing_month.previous() <= two_b <= filing_month
    assert CAL.filing_cutoff(two_b, form) >= filed_at.astimezone(IST).date()


@given(new_rule_periods, frequencies, groups)
def test_property_R3_4_pending_deadline_after_own_3b_due(
    period: ReturnPeriod, frequency: FilingFrequency, group: StateGroup
) -> None:
    """R3.4: the Pending deadline is always after the 3B due date of the record's own period."""
    deadline = CAL.pending_deadline(period, frequency, group)
    assert deadline is not None
    assert deadline > CAL.gstr3b_due(period, frequency, group)
