"""Extraction: a threat report in, a draft incident out (indicators, techniques, actors, victims).

:func:`cirx.extract.service.extract` runs the whole pipeline on a document;
:mod:`cirx.extract.draft` turns its result into a draft an analyst confirms.
Nothing here reaches the network.
"""
