"""The host-level request id accessor and log filter, without knowing who sets the id."""

from __future__ import annotations

import logging

from flask import Flask

from flask_plugboard.request_id import ENVIRON_KEY, RequestIdFilter, request_id


def _record() -> logging.LogRecord:
    return logging.LogRecord("app", logging.INFO, __file__, 1, "message", None, None)


def test_outside_a_request_there_is_no_id() -> None:
    assert request_id() is None
    record = _record()
    assert RequestIdFilter().filter(record) is True
    assert record.request_id == "-"  # type: ignore[attr-defined]


def test_inside_a_request_the_id_comes_from_the_environ() -> None:
    app = Flask(__name__)
    with app.test_request_context(environ_base={ENVIRON_KEY: "abc-123"}):
        assert request_id() == "abc-123"
        record = _record()
        RequestIdFilter().filter(record)
        assert record.request_id == "abc-123"  # type: ignore[attr-defined]


def test_a_request_without_an_id_gives_none_and_a_dash() -> None:
    app = Flask(__name__)
    with app.test_request_context():
        assert request_id() is None
        record = _record()
        RequestIdFilter().filter(record)
        assert record.request_id == "-"  # type: ignore[attr-defined]


def test_a_record_that_has_an_id_keeps_it() -> None:
    app = Flask(__name__)
    record = _record()
    record.request_id = "set-by-the-logger"
    with app.test_request_context(environ_base={ENVIRON_KEY: "other"}):
        RequestIdFilter().filter(record)
    assert record.request_id == "set-by-the-logger"  # type: ignore[attr-defined]


def test_a_handler_with_the_filter_formats_the_id() -> None:
    app = Flask(__name__)
    logger = logging.getLogger("test_request_id.formatted")
    logger.propagate = False
    lines: list[str] = []

    class ListHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = ListHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter("[%(request_id)s] %(message)s"))
    logger.addHandler(handler)
    try:
        logger.warning("before")
        with app.test_request_context(environ_base={ENVIRON_KEY: "r-9"}):
            logger.warning("during")
    finally:
        logger.removeHandler(handler)
    assert lines == ["[-] before", "[r-9] during"]
