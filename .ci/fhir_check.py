"""The FHIR view checked by FHIR software, not by our own tests.

A scripted tour of /fhir on a seeded server: every response body is
validated by fhir.resources (R4B models; Organization, Location,
Practitioner, PractitionerRole, Bundle, OperationOutcome and
CapabilityStatement are the same as R4's), and fhirpy, a FHIR client,
drives reads, searches, paging, _include and _revinclude.

Usage: fhir_check.py BASE_URL ADMIN_PASSWORD
"""

import json
import sys
import urllib.error
import urllib.request

from fhir.resources.R4B import get_fhir_model_class
from fhirpy import SyncFHIRClient

base, password = sys.argv[1], sys.argv[2]
checked = {"bodies": 0}


def call(method, path, body=None, token=None, headers=None):
    request = urllib.request.Request(base + path, method=method)
    if body is not None:
        request.data = json.dumps(body).encode()
        request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", "Bearer " + token)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def validated(status, headers, raw, expected=200):
    """The body, after fhir.resources has accepted it as its resourceType."""
    assert status == expected, (status, raw[:500])
    assert headers["content-type"].startswith("application/fhir+json"), headers["content-type"]
    body = json.loads(raw)
    model = get_fhir_model_class(body["resourceType"])
    model.model_validate(body)
    if body["resourceType"] == "Bundle":
        for entry in body.get("entry", []):
            resource = entry["resource"]
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    checked["bodies"] += 1
    return body


status, _, raw = call("POST", "/api/v1/auth/login", {"username": "admin", "password": password})
assert status == 200, raw
token = json.loads(raw)["access_token"]

# Some people and periods to find.
staff = []
for n, (name, unit) in enumerate([("Asha Rao", 1), ("Ravi Raman", 2), ("Meera Iyer", None)]):
    record = {
        "full_name": name,
        "employee_id": f"FHIR{n:03}",
        "email": f"fhir{n}@hospital.example.org",
        "mobile": f"+91 98100 1000{n}",
        "department_id": 1,
        "designation_id": 1,
    }
    if unit:
        record["unit_id"] = unit
    status, _, raw = call("POST", "/api/v1/staff", record, token)
    assert status == 201, raw
    staff.append(json.loads(raw)["id"])
call("PUT", f"/api/v1/staff/{staff[0]}/works-in/2", None, token)
call("PUT", f"/api/v1/departments/1/heads/{staff[0]}", None, token)
call("PUT", f"/api/v1/units/1/heads/{staff[1]}", None, token)

# The tour: every body a FHIR validator accepts.
statement = validated(*call("GET", "/fhir/metadata"))
assert statement["fhirVersion"] == "4.0.1"
validated(*call("GET", "/fhir/Organization/hospital"), expected=401)
validated(*call("GET", "/fhir/Organization/dept-999", token=token), expected=404)
validated(*call("GET", "/fhir/Practitioner?active=maybe", token=token), expected=400)
validated(*call("GET", "/fhir/Practitioner/1", token=token, headers={"accept": "application/fhir+xml"}), expected=406)
validated(*call("DELETE", "/fhir/Organization/dept-1", token=token), expected=405)
tour = [
    "/fhir/Organization/hospital",
    "/fhir/Organization/dept-1",
    "/fhir/Organization/unit-1",
    "/fhir/Location/bldg-1",
    "/fhir/Location/floor-1",
    "/fhir/Location/ot-1",
    f"/fhir/Practitioner/{staff[0]}",
    f"/fhir/PractitionerRole/post-{staff[0]}",
    "/fhir/Organization?name=anaes&_include=Organization:partof",
    "/fhir/Organization?_revinclude=PractitionerRole:organization&_id=dept-1",
    "/fhir/Location?type=ro&_include=Location:partof",
    "/fhir/Practitioner?name=ra&_revinclude=PractitionerRole:practitioner",
    f"/fhir/PractitionerRole?practitioner={staff[0]}&_include=PractitionerRole:practitioner&_include=PractitionerRole:organization",
    "/fhir/PractitionerRole?role=head&active=true",
    "/fhir/Practitioner?_count=0",
]
references = set()
for path in tour:
    body = validated(*call("GET", path, token=token))
    resources = [e["resource"] for e in body.get("entry", [])] if body["resourceType"] == "Bundle" else [body]
    for resource in resources:
        for field in ("partOf", "practitioner", "organization", "managingOrganization"):
            if field in resource:
                references.add(resource[field]["reference"])
# History: each version as a change left it (a version may name what has
# since been deleted, so its references are not resolved).
for path in ("/fhir/Practitioner/_history?_count=5", "/fhir/PractitionerRole/_history?_count=20"):
    body = validated(*call("GET", path, token=token))
    assert body["type"] == "history" and body["entry"], body
# Every reference emitted resolves.
for reference in sorted(references):
    body = validated(*call("GET", "/fhir/" + reference, token=token))
    assert f"{body['resourceType']}/{body['id']}" == reference
print(f"fhir.resources accepted {checked['bodies']} bodies; {len(references)} references resolve")

# fhirpy, as another system's directory sync would use it.
client = SyncFHIRClient(base + "/fhir", authorization="Bearer " + token)
asha = client.reference("Practitioner", str(staff[0])).to_resource()
assert asha["name"][0]["text"] == "Asha Rao", asha
found = client.resources("Practitioner").search(name="rao").fetch()
assert [p["id"] for p in found] == [str(staff[0])], found
exact = client.resources("Practitioner").search(name__exact="Ravi Raman").fetch()
assert [p["id"] for p in exact] == [str(staff[1])], exact
units = client.resources("Organization").search(partof="Organization/dept-1").fetch_all()
assert units and all(u["id"].startswith("unit-") for u in units), units
# Paging: fhirpy follows the next links to the end.
everyone = client.resources("Practitioner").limit(2).fetch_all()
ids = [p["id"] for p in everyone]
assert len(ids) == len(set(ids)) >= 3, ids
assert client.resources("Practitioner").count() == len(ids)
# _include and _revinclude come back as include entries.
bundle = (
    client.resources("PractitionerRole")
    .search(practitioner=f"Practitioner/{staff[0]}")
    .include("PractitionerRole", "practitioner")
    .include("PractitionerRole", "organization")
    .fetch_raw()
)
modes = sorted((e["search"]["mode"], e["resource"]["resourceType"]) for e in bundle["entry"])
assert ("include", "Practitioner") in modes and ("include", "Organization") in modes, modes
assert modes.count(("match", "PractitionerRole")) == 3, modes
bundle = (
    client.resources("Practitioner")
    .search(_id=str(staff[1]))
    .revinclude("PractitionerRole", "practitioner")
    .fetch_raw()
)
roles = [e["resource"]["id"] for e in bundle["entry"] if e["search"]["mode"] == "include"]
assert f"post-{staff[1]}" in roles and any(r.startswith("uhead-") for r in roles), roles
print("fhirpy: read, search, paging, _include and _revinclude as expected")
