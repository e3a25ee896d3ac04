"""Stable pseudonyms for identifiers that are personal data, such as an e-mail used as the customer id.

A pseudonym is :data:`PSEUDONYM_PREFIX` followed by the first
:data:`PSEUDONYM_HEX_DIGITS` hex digits of ``SHA-256(salt + value)``, with
both texts encoded as UTF-8. The salt comes from the source file
(``pseudonym_salt``), so:

* the same export loaded twice gives the same ids, and the customers of one
  month's export keep their ids in the next;
* the same value gives different ids under different salts, so ids of two
  sources do not collide or link unless they share a salt.

Anyone who has the salt and a list of candidate values can recompute the
pseudonyms and match them, so a pseudonymised id is still personal
information under China's Personal Information Protection Law. It keeps
e-mails out of registers and meeting reports, but it is not anonymisation.
"""

from __future__ import annotations

import hashlib
import logging

import pandas as pd

logger = logging.getLogger(__name__)

PSEUDONYM_PREFIX = "P-"
PSEUDONYM_HEX_DIGITS = 12


def pseudonym(value: str, salt: str) -> str:
    """Return the pseudonym of one identifier under ``salt``.

    Examples
    --------
    >>> pseudonym("ann@example.com", "demo")
    'P-cf488e8b77d1'
    """
    digest = hashlib.sha256((salt + value).encode("utf-8")).hexdigest()
    return PSEUDONYM_PREFIX + digest[:PSEUDONYM_HEX_DIGITS]


def pseudonymise(values: pd.Series, salt: str) -> pd.Series:
    """Replace each identifier in ``values`` by its pseudonym; missing values stay missing.

    Parameters
    ----------
    values : Series of str
        Parsed identifiers, with NA for missing ones.
    salt : str
        The source's ``pseudonym_salt``.

    Returns
    -------
    Series of str
        Same index and length as ``values``.

    Notes
    -----
    Twelve hex digits are 48 bits, so among a million distinct ids two share
    a pseudonym with a probability of about 0.2 % (birthday bound). Such a
    collision would merge two customers, so it is logged as a warning; a
    different salt separates them.
    """
    originals = values.dropna().unique()
    mapping = {original: pseudonym(str(original), salt) for original in originals}
    collisions = len(mapping) - len(set(mapping.values()))
    if collisions:
        logger.warning("%d pseudonym(s) are shared by more than one of %d distinct ids, so those ids are merged; "
                       "choose another pseudonym_salt", collisions, len(mapping))
    return values.map(mapping, na_action="ignore").astype("str")
