"""schemathesis hooks for scripts/contract.sh (loaded through schemathesis.toml).

What the document cannot say by itself, and what the run must not do:

1. The `entity-tag` string format (If-Match): a strong entity tag as the
   server issues them in ETag ("3", with the quotes) or `*`. schemathesis's
   coverage phase makes header values from letters and digits only, so a
   header `pattern` that needs the quote character yields no valid value and
   it sends an unconstrained one ("0") as if it were valid (ST202 on every
   operation with If-Match). A registered format is drawn from the strategy
   below instead.

2. `positive_data_acceptance_stateless`: schemathesis's
   positive_data_acceptance (a schema-valid request must not be refused),
   except for refusals that depend on the server's state rather than on the
   request's shape, which no schema can rule out. Each is answered with a
   stable problem code, and only these codes are let through:
     412 version_conflict      If-Match names a version the resource is not at
                               (generated "3" for a user at version 1); the
                               stateful phase sends the ETag of the answer it
                               follows (links), which a later step may make stale.
     422 manager_not_found     manager_id / members name UUIDs of users the
     422 member_not_found      tenant does not have.
     422 manager_cycle         the manager chain would loop (depends on other users).
     422 idempotency_key_reused the generated Idempotency-Key ("0") was already
                               used by an earlier, different request.
     422 invalid_import_file   whether a CSV's header and the map/derive/map_value
                               options can create users depends on the body, which
                               the document can only call a string.
     400 invalid_query         only "rows=original needs a job uploaded with
                               keep_rows=true" (a property of the job) and a cursor
                               "not issued by this service" (cursors are opaque
                               tokens the server signs; any string is schema-valid).
     422 validation_failed     only when every field error is time_zone invalid_format
                               (the document gives the shape of an IANA zone name, but
                               whether a name is a zone is a lookup in the server's
                               tz database, about 600 names) or multiple_primary (at
                               most one e-mail, phone number or address marked primary:
                               OpenAPI 3.0 has no contains/maxContains to say it).
     422 invalid_settings      only "inside the service's network": whether a webhook
                               host is loopback/private depends on DNS and the
                               operator's setting, not on the URL's shape.
     409 (any)                 schemathesis already expects 409 (taken e-mail etc.).
   Everything else (400 malformed_request/invalid_query, 422
   validation_failed, 413, 415) still fails the run: those mean the document
   allows what the server refuses, and the document is then to be fixed.

3. `negative_data_rejection_wire`: schemathesis's negative_data_rejection
   (a schema-violating request must be refused), except when the only
   violation is a non-JSON body (the CSV upload) generated as another JSON
   type: on the wire `[null]` is a text like any other, and a CSV file is
   any text (the document's `type: string`).

4. The run's own admin token is never revoked: the fuzzing phase fills
   DELETE /v1/tokens/{id} with ids seen in earlier answers (GET /v1/tokens
   lists the run's token), and an admin may revoke its own token, after
   which every request is 401. before_call sends such a request to a
   decoy instead: a reader token contract.sh made for this (revoking it
   again is harmless: 204 each time). A random id would answer 404, which
   the stateful phase reads as "a created resource is not found" (ST302)
   when its chain went POST /v1/tokens -> GET /v1/tokens -> DELETE of the
   listed first token, the run's own. CONTRACT_OWN_TOKEN_ID and
   CONTRACT_DECOY_TOKEN_ID are set by contract.sh.
"""

import json
import os
import uuid

import schemathesis
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

schemathesis.openapi.format(
    "entity-tag",
    st.one_of(st.just("*"), st.integers(min_value=1, max_value=10**6).map(lambda v: f'"{v}"')),
)

STATE_DEPENDENT = {
    412: {"version_conflict"},
    422: {"manager_not_found", "member_not_found", "manager_cycle", "idempotency_key_reused", "invalid_import_file"},
}


# (status, code) -> a phrase the problem's detail must hold, where only some
# refusals under that code depend on state.
STATE_DEPENDENT_DETAIL = {
    (400, "invalid_query"): ("keep_rows", "was not issued by this service"),
    (422, "invalid_settings"): ("inside the service's network",),
}


def _problem(response):
    try:
        body = json.loads(response.content)
    except ValueError:
        return None, ""
    if not isinstance(body, dict):
        return None, ""
    return body.get("code"), str(body.get("detail", ""))


def _inexpressible(error):
    return (error.get("field"), error.get("code")) == ("time_zone", "invalid_format") or error.get("code") == "multiple_primary"


def _only_inexpressible_errors(response):
    try:
        errors = json.loads(response.content).get("errors") or []
    except (ValueError, AttributeError):
        return False
    return bool(errors) and all(_inexpressible(e) for e in errors)


def _state_dependent(response):
    code, detail = _problem(response)
    if code in STATE_DEPENDENT.get(response.status_code, ()):
        return True
    if response.status_code == 422 and code == "validation_failed" and _only_inexpressible_errors(response):
        return True
    return any(phrase in detail for phrase in STATE_DEPENDENT_DETAIL.get((response.status_code, code), ()))


@schemathesis.check
def positive_data_acceptance_stateless(ctx, response, case):
    try:
        return positive_data_acceptance(ctx, response, case)
    except AssertionError:
        if _state_dependent(response):
            return None
        raise


def _only_text_body_negative(case):
    if "json" in (case.media_type or ""):
        return False
    components = getattr(case.meta, "components", None) or {}
    negative = [str(getattr(where, "value", where)).lower() for where, info in components.items() if not info.mode.is_positive]
    return negative == ["body"]


@schemathesis.check
def negative_data_rejection_wire(ctx, response, case):
    try:
        return negative_data_rejection(ctx, response, case)
    except AssertionError:
        if case.meta is not None and _only_text_body_negative(case):
            return None
        raise


OWN_TOKEN_ID = os.environ.get("CONTRACT_OWN_TOKEN_ID", "").lower()
DECOY_TOKEN_ID = os.environ.get("CONTRACT_DECOY_TOKEN_ID", "").lower()


@schemathesis.hook
def before_call(ctx, case, kwargs):
    if (
        OWN_TOKEN_ID
        and case.method.upper() == "DELETE"
        and case.operation.path == "/v1/tokens/{id}"
        and str((case.path_parameters or {}).get("id", "")).lower() == OWN_TOKEN_ID
    ):
        case.path_parameters["id"] = DECOY_TOKEN_ID or str(uuid.uuid4())
