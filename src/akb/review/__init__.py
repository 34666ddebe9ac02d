"""Human verification of benchmark items (``akb review``).

A reviewer works through a queue in a local web page (:mod:`akb.review.server`): answers
each item blind, then accepts, edits or rejects it. Decisions live in SQLite
(:mod:`akb.review.store`); :mod:`akb.review.consensus` says when reviewers agree,
:mod:`akb.review.queue` what comes next and what needs adjudication,
:mod:`akb.review.agreement` how well reviewers agree (Cohen's and Fleiss' kappa), and
:mod:`akb.review.merge` writes the decisions back into item review records.
:mod:`akb.review.labelstudio` lets a team use Label Studio as the front end instead.
"""
