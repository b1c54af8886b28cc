import json

from temporalio.converter import DataConverter

from ai_services.shared.runtime.context import ExecutionSource


def test_drata_run_only_for_web_app_sources() -> None:
    assert ExecutionSource.DRATA_WEBAPP_PROD.drata_run
    assert ExecutionSource.DRATA_WEBAPP_STAGING.drata_run
    assert ExecutionSource.DRATA_WEBAPP_DEV.drata_run
    assert not ExecutionSource.LOCAL.drata_run
    assert not ExecutionSource.TEST.drata_run


def test_values_are_lower_case_names() -> None:
    for member in ExecutionSource:
        assert member.value == member.name.lower()


def test_serializes_as_plain_string() -> None:
    converter = DataConverter.default.payload_converter
    payload = converter.to_payloads([ExecutionSource.DRATA_WEBAPP_PROD])[0]
    assert json.loads(payload.data) == "drata_webapp_prod"
    decoded = converter.from_payloads([payload], [ExecutionSource])[0]
    assert decoded is ExecutionSource.DRATA_WEBAPP_PROD
