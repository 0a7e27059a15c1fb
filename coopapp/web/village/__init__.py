"""The village's pages — projects, households, statements, objections — on one blueprint."""

from flask import Blueprint

bp = Blueprint("village", __name__, url_prefix="/village")
