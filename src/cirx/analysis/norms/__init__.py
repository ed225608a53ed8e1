"""Norms and international law: judging an incident against the frameworks of cyber diplomacy.

- :mod:`.frameworks` the frameworks as versioned data (GGE norms, IL rules, Budapest
  Convention, ICD 203, response ladder);
- :mod:`.features` the facts of an incident the rules read, and its attribution to a State;
- :mod:`.legal`, :mod:`.norm_rules`, :mod:`.offences` the rules: international law and the response
  justification, the 11 norms, Budapest offence articles 2-11 and Party status;
- :mod:`.assess` one incident's whole assessment, and analysts' judgements laid over it;
- :mod:`.responses` responses from EuRepoC, DCID and attribution claims;
- :mod:`.trends` dyads, rivalries and escalation; :mod:`.profiles` state profiles;
- :mod:`.service` the store-backed service behind the CLI and REST API.

Everything but :mod:`.service`, :mod:`.repository` and :mod:`.tables` (migration 0004) is pure.
"""
