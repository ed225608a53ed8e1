"""Attribution: ranked, calibrated hypotheses about who is behind an incident, with the evidence.

Evidence (techniques, software, indicators, victims, sectors, a date, notes) goes
in; out come candidate groups, candidate states and "unknown / new actor", each
with a probability, its ICD 203 term, a confidence level and the evidence for
and against it (analysis of competing hypotheses), plus caveats.

- :mod:`.knowledge` plain data (actors, items, cited reports, links);
  :mod:`.profiles` reads it from the store; :mod:`.citations` report keys and dates;
- :mod:`.model` feature rows per actor (pure, numpy); :mod:`.calibration` the fitted
  model and the shipped ``calibration.json``; :mod:`.fitting` how it is fitted;
- :mod:`.attributor` one attribution; :mod:`.explain` the ACH table and confidence;
  :mod:`.caveats`; :mod:`.estimative` ICD 203 terms; :mod:`.evidence` evidence in;
  :mod:`.claims` official attribution records and where they agree;
- :mod:`.evaluate` leak-free P1/P2 evaluation with :mod:`.baselines` and :mod:`.metrics`;
- :mod:`.service` :class:`~.service.AttributionService` for the CLI, REST and Python callers.
"""
