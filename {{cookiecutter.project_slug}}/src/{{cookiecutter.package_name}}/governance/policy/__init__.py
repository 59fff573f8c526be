"""Policy as code: rule files, waivers and governance, the engine that applies them, and its reports.

A rule reads one value of the policy input document (``facts.json``) by a dotted path and checks
it with a JSON Schema. This package imports only pydantic, PyYAML (libyaml's parser) and jsonschema.
"""
