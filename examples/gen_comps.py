#!/usr/bin/env python3
"""Generate examples/comps.json: synthetic sold comparables for 16 real ZIP
codes of Austin TX, Phoenix AZ and Columbus OH.

Deterministic: a fixed seed and a fixed reference date, so the file (and the
tests that value homes from it) never change unless this script does.
Standard library only.  Usage: python3 examples/gen_comps.py [OUT]
(default: comps.json beside this script).

The homes, addresses and prices are invented. ZIP centroids, street names and
price levels ($/sqft) are approximations of the real 2025-26 markets, good
enough for plausible valuations, not for any real decision.
"""

import datetime
import json
import math
import os
import random
import sys

SEED = 20261101
REFERENCE_DATE = datetime.date(2026, 11, 1)
HISTORY_DAYS = 548  # about 18 months of sales before the reference date

# Market drift per month by metro, applied backwards from the reference date,
# so older sales are cheaper in rising markets (2025-26: Austin still
# softening, Phoenix flat to slightly up, Columbus rising).
METRO_TREND = {"Austin": -0.0015, "Phoenix": 0.001, "Columbus": 0.0035}

# zip: city, state, centroid lat/lon, $/sqft level, sales, years built
# (low, high), beds weights for 2..5, lot sqft range (None: condos), streets
ZIPS = {
    "78701": ("Austin", "TX", 30.2700, -97.7430, 600, 45, (1980, 2022),
              (5, 4, 1, 0), None,
              ["Congress Ave", "Colorado St", "Lavaca St", "Guadalupe St",
               "San Antonio St", "Nueces St", "West Ave", "Rio Grande St",
               "W 6th St", "Brazos St", "Rainey St", "Red River St"]),
    "78702": ("Austin", "TX", 30.2632, -97.7140, 430, 70, (1925, 2022),
              (3, 5, 2, 1), (4000, 7500),
              ["E 7th St", "E 12th St", "E Cesar Chavez St", "Chicon St",
               "Comal St", "Pleasant Valley Rd", "Rosewood Ave",
               "Navasota St", "Salina St", "Holly St", "Webberville Rd",
               "Canterbury St", "Willow St", "Lyons Rd"]),
    "78704": ("Austin", "TX", 30.2430, -97.7650, 450, 80, (1930, 2022),
              (3, 5, 3, 1), (5000, 9000),
              ["S Congress Ave", "S 1st St", "S Lamar Blvd",
               "Barton Springs Rd", "W Mary St", "W Oltorf St", "Bouldin Ave",
               "Kinney Ave", "Eva St", "Newning Ave", "Travis Heights Blvd",
               "Annie St", "Live Oak St", "Cumberland Rd", "W Johanna St",
               "Bluebonnet Ln"]),
    "78745": ("Austin", "TX", 30.2070, -97.7960, 300, 75, (1960, 2020),
              (2, 6, 3, 1), (6000, 9500),
              ["William Cannon Dr", "Manchaca Rd", "Westgate Blvd",
               "W Stassney Ln", "Emerald Forest Dr", "Cooper Ln", "Jones Rd",
               "Battle Bend Blvd", "Cherry Creek Dr", "Eberhart Ln",
               "Sunset Trl", "Radam Ln"]),
    "78748": ("Austin", "TX", 30.1650, -97.8240, 255, 70, (1978, 2022),
              (1, 5, 5, 2), (6500, 10000),
              ["Slaughter Ln", "Brodie Ln", "Frate Barker Rd", "Cullen Ln",
               "Shady Hollow Dr", "Texas Oaks Dr", "Maufrais Ln",
               "Onion Creek Dr", "Bilbrook Pl", "Corran Ferry Dr"]),
    "78758": ("Austin", "TX", 30.3830, -97.7100, 290, 65, (1968, 2020),
              (2, 6, 3, 1), (6000, 9000),
              ["Rundberg Ln", "Braker Ln", "Parmer Ln", "N Lamar Blvd",
               "Metric Blvd", "Quail Creek Dr", "Lanshire Dr",
               "Peyton Gin Rd", "Mearns Meadow Blvd", "Gracy Farms Ln",
               "Fallwell Ln"]),
    "85003": ("Phoenix", "AZ", 33.4510, -112.0790, 330, 45, (1920, 2020),
              (4, 4, 1, 0), (4500, 7000),
              ["N 3rd Ave", "N 5th Ave", "W Roosevelt St", "W Culver St",
               "W Portland St", "N 7th Ave", "W Moreland St",
               "W Willetta St", "N 1st Ave", "W McKinley St"]),
    "85008": ("Phoenix", "AZ", 33.4660, -111.9990, 290, 65, (1950, 2020),
              (2, 6, 3, 1), (6000, 9000),
              ["E McDowell Rd", "E Thomas Rd", "N 44th St", "N 40th St",
               "E Oak St", "E Osborn Rd", "N 48th St", "E Monte Vista Rd",
               "N 52nd St", "E Palm Ln", "E Windsor Ave", "E Holly St"]),
    "85016": ("Phoenix", "AZ", 33.5080, -112.0310, 360, 75, (1950, 2022),
              (2, 6, 3, 1), (7000, 12000),
              ["E Camelback Rd", "E Indian School Rd", "N 24th St",
               "N 20th St", "E Highland Ave", "N 16th St", "E Campbell Ave",
               "E Glenrosa Ave", "E Pierson St", "N 32nd St",
               "E Montebello Ave", "E Colter St"]),
    "85032": ("Phoenix", "AZ", 33.6240, -112.0030, 290, 80, (1970, 2015),
              (1, 6, 4, 1), (6500, 9500),
              ["E Bell Rd", "N Cave Creek Rd", "E Greenway Rd", "N 32nd St",
               "E Sweetwater Ave", "N Tatum Blvd", "E Thunderbird Rd",
               "E Cactus Rd", "N 36th St", "E Paradise Ln", "E Acoma Dr",
               "E Sharon Dr"]),
    "85041": ("Phoenix", "AZ", 33.3890, -112.0950, 230, 75, (1960, 2022),
              (1, 5, 4, 2), (5500, 8500),
              ["E Baseline Rd", "S Central Ave", "W Southern Ave",
               "S 7th St", "W Dobbins Rd", "S 19th Ave", "W Roeser Rd",
               "W Vineyard Rd", "W Carson Rd", "S 3rd Ave", "W Euclid Ave"]),
    "43201": ("Columbus", "OH", 39.9910, -83.0000, 260, 60, (1920, 2020),
              (3, 5, 2, 1), (2500, 5000),
              ["N High St", "Summit St", "Indianola Ave", "E Northwood Ave",
               "W 5th Ave", "E 11th Ave", "Neil Ave", "Hunter Ave",
               "N 4th St", "Kerr St", "W 3rd Ave", "E Lane Ave"]),
    "43206": ("Columbus", "OH", 39.9420, -82.9740, 235, 65, (1920, 2018),
              (3, 5, 2, 1), (2500, 5500),
              ["Parsons Ave", "Thurman Ave", "S 3rd St", "Jaeger St",
               "City Park Ave", "E Whittier St", "Mohawk St", "Frebis Ave",
               "Kossuth St", "Reinhard Ave", "S Grant Ave", "Lathrop St"]),
    "43211": ("Columbus", "OH", 40.0120, -82.9700, 130, 70, (1920, 2005),
              (3, 6, 2, 1), (3500, 7000),
              ["Cleveland Ave", "E Hudson St", "Joyce Ave",
               "Oakland Park Ave", "E 17th Ave", "Westerville Rd",
               "E Weber Rd", "Woodland Ave", "Sunbury Rd", "Pontiac St",
               "Duxberry Ave"]),
    "43214": ("Columbus", "OH", 40.0530, -83.0200, 225, 70, (1925, 2015),
              (2, 6, 3, 1), (5000, 10000),
              ["N High St", "W North Broadway", "E Como Ave",
               "Olentangy Blvd", "Crestview Rd", "Glenmont Ave",
               "Kenview Rd", "E Tulane Rd", "Webster Park Ave",
               "Overbrook Dr", "Arden Rd", "Nottingham Rd"]),
    "43229": ("Columbus", "OH", 40.0860, -82.9740, 150, 65, (1955, 2010),
              (2, 6, 3, 1), (6000, 10000),
              ["Morse Rd", "Karl Rd", "Cooke Rd", "E Dublin Granville Rd",
               "Maple Canyon Ave", "Busch Blvd", "Northtowne Blvd",
               "Schrock Rd", "Ferris Rd", "Forest Hills Blvd"]),
}


def clamp(v, lo, hi):
    return max(lo, min(hi, v))


def one_sale(rng, zip_code, spec, seq):
    (city, state, lat0, lon0, ppsf, _count, years, bed_w, lots,
     streets) = spec
    beds = rng.choices([2, 3, 4, 5], weights=bed_w)[0]
    sqft = int(round(clamp(rng.gauss(450 + 420 * beds, 220), 800, 3500), -1))
    baths = clamp(beds - 1 + rng.choice([0, 0, 0.5, 0.5, 1]), 1, 3.5)
    year = rng.randint(*years)
    days_ago = rng.randint(1, HISTORY_DAYS)
    sold = REFERENCE_DATE - datetime.timedelta(days=days_ago)

    # Bigger homes sell for less per sqft, newer ones for more; the rest is
    # what an appraiser calls condition and luck.
    size_factor = (sqft / 1600.0) ** -0.15
    age_factor = 1 + 0.0015 * (year - 1985)
    months = days_ago / 30.436875
    trend = (1 + METRO_TREND[city]) ** -months
    noise = math.exp(rng.gauss(0, 0.07))
    price = ppsf * sqft * size_factor * age_factor * trend * noise
    price = int(round(price / 500.0)) * 500

    # About 0.6 mi of scatter around the centroid, cut at 2.2 sigma.
    lat = lat0 + clamp(rng.gauss(0, 0.009), -0.02, 0.02)
    lon = lon0 + clamp(rng.gauss(0, 0.0105), -0.023, 0.023)

    number = rng.randint(1, 48) * 100 + rng.randint(0, 98)
    address = "%d %s" % (number, rng.choice(streets))
    if lots is None:
        address += " Unit %d%02d" % (rng.randint(2, 30), rng.randint(1, 20))
        lot = None
    else:
        lot = int(round(rng.uniform(*lots), -1))

    return {
        "id": "cmp-%s-%03d" % (zip_code, seq),
        "address": address,
        "city": city,
        "state": state,
        "zip": zip_code,
        "lat": round(lat, 6),
        "lon": round(lon, 6),
        "beds": beds,
        "baths": baths,
        "sqft": sqft,
        "year_built": year,
        "lot_sqft": lot,
        "price": price,
        "sold_date": sold.isoformat(),
    }


def generate():
    rng = random.Random(SEED)
    comps = []
    for zip_code in sorted(ZIPS):
        spec = ZIPS[zip_code]
        sales = [one_sale(rng, zip_code, spec, i + 1)
                 for i in range(spec[5])]
        sales.sort(key=lambda c: (c["sold_date"], c["id"]))
        comps.extend(sales)
    return {
        "reference_date": REFERENCE_DATE.isoformat(),
        "generator": "examples/gen_comps.py (seed %d); synthetic data"
                     % SEED,
        "comps": comps,
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, "comps.json")
    data = generate()
    # One comp per line: small diffs when the generator changes.
    lines = ['{"reference_date": %s,' % json.dumps(data["reference_date"]),
             ' "generator": %s,' % json.dumps(data["generator"]),
             ' "comps": [']
    rows = [json.dumps(c, sort_keys=False) for c in data["comps"]]
    lines.append(",\n".join("  " + r for r in rows))
    lines.append(" ]}")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print("%s: %d comps in %d ZIPs" % (out, len(data["comps"]), len(ZIPS)))


if __name__ == "__main__":
    main()
