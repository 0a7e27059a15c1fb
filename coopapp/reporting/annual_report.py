"""A village's annual report: the year's figures against target and last year, each project,
the distributions published that year, the corrections, the red entries and the households benefited."""

from datetime import date

from coopapp.access.scope import authorize
from coopapp.disclosure import operations as disclosure
from coopapp.models import Area, User
from coopapp.reporting import dashboard


def annual_report(user: User, village: Area, year: int) -> dict:
    """Everything the printed annual report of `village` for `year` shows (approved entries only).

    For the current year the figures run to this month; last year's are the same months.
    """
    authorize(user, "view", village)
    months = dashboard.through_month(year)
    board = dashboard.village_dashboard(user, village, year, months)
    whole_year = disclosure.Period(year, 1, 12)
    return {
        "village": village,
        "year": year,
        "through_month": months,
        "board": board,
        "summary": board["summary"],
        "projects": board["summary"]["projects"],
        "figures": disclosure.period_figures(village, whole_year),
        "plans": disclosure.published_plans(village, date(year, 1, 1), date(year, 12, 31)),
        "corrections": disclosure.corrections(village, whole_year.first, whole_year.last),
        "red_entries": disclosure.red_entries(village, whole_year.first, whole_year.last),
        "last_disclosure": disclosure.last_disclosure(village),
    }
