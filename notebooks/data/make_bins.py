#!/usr/bin/env python3
"""Writes bins.csv: every 6-digit BIN (first six digits of a card number) that `cells produce`
can emit (the issuer prefixes of Sources/TransactionGenerator/CardType.swift), each with an
issuing bank and country. Banks and countries are invented, assigned deterministically per
block of BINs, so the join has many keys and a few hundred banks to count by.

    python3 notebooks/data/make_bins.py [DIGITS] > notebooks/data/bins.csv
"""
import itertools, sys

PREFIXES = {
    "Maestro": ["5018", "5020", "5038", "56##", "57##", "58##", "6304", "6759", "6761", "6762", "6763"],
    "Mastercard": ["51", "52", "53", "54", "55", "222%", "223", "224", "225", "226", "227", "228", "229",
                   "23", "24", "25", "26", "270", "271", "2720"],
    "Visa": ["4"], "Amex": ["34", "37"], "Discover": ["6011", "65"],
    "Diners": ["300", "301", "302", "303", "304", "305", "36", "38"],
    "JCB": ["2100", "1800", "3088", "3096", "3112", "3158", "3337", "3528"],
}
BANKS = ["Banco do Brasil", "Itau Unibanco", "Bradesco", "Caixa", "Santander", "Nubank", "Inter",
         "BTG Pactual", "Sicredi", "Banrisul", "Chase", "Citibank", "HSBC", "Barclays", "BBVA", "Mizuho"]
COUNTRIES = ["BR", "BR", "BR", "BR", "BR", "BR", "BR", "BR", "BR", "BR", "US", "US", "GB", "GB", "ES", "JP"]

def expand(pattern):
    choices = [("0123456789" if c == "#" else "123456789" if c == "%" else c) for c in pattern]
    for head in itertools.product(*choices):
        yield "".join(head)

# The first DIGITS digits of a card number (4 by default: the committed notebooks/data/bins.csv;
# 6 gives every 6-digit BIN, 287,700 rows).
DIGITS = int(sys.argv[1]) if len(sys.argv) > 1 else 4
bins = set()
for patterns in PREFIXES.values():
    for p in patterns:
        for head in expand(p):
            if len(head) > DIGITS: head = head[:DIGITS]
            rest = DIGITS - len(head)
            for tail in range(10 ** rest) if rest > 0 else [0]:
                bins.add(head + (str(tail).zfill(rest) if rest > 0 else ""))
out = sys.stdout
out.write("prefix,bank,country\n")
for b in sorted(bins):
    i = (int(b[:4]) // 10 * 2654435761) % 2**32 % len(BANKS)  # one bank per block of ten 4-digit prefixes
    out.write(f"{b},{BANKS[i]},{COUNTRIES[i]}\n")
