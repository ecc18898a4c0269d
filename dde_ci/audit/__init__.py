"""The traceability audit: what the manifest planned against what the files say was built.

:func:`dde_ci.audit.check.audit_iteration` rebuilds the as-built record of one
iteration from files only (the execution log, each node's ``result.json``,
``gates.json``, ``contracts.json`` and ``context.json``, the stamps in the
artifact store, the contract registry and ``contracts.lock``) and returns an
:class:`dde_ci.audit.model.AuditReport`; :mod:`dde_ci.audit.report` renders it.
"""
