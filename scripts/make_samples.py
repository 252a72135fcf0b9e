#!/usr/bin/env python3
"""Regenerate the bundled samples in powertrack/samples/.

    python scripts/make_samples.py [--check]

Writes tweets.jsonl (synthetic tweets, every tenth one in v2 form) and
rules.jsonl (hand-written rules over the generator's topics). Both are
deterministic: running this twice gives identical files. Some rules name
users of the synthetic pool (the busiest authors, the most mentioned and
replied-to users), so they are filled in from the tweets just generated.
With --check, nothing is written; the exit status says whether the files
on disk are up to date. tests/test_samples.py runs that check, and also
wants every rule to match at least one sample tweet: when the generator
changes, regenerate, and adjust any rule that no longer finds anything.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from powertrack.firehose.synthetic import SyntheticTweets, to_v2

SEED = 20230601
TWEETS = 2000
USERS = 300  # a small pool, so that from:/@/to: rules find several tweets
V2_EVERY = 10
# Rule ids are 64-bit snowflake-like integers, counted up from a fixed instant.
FIRST_RULE_ID = (1_685_577_600_000 - 1_288_834_974_657) << 22

SAMPLES = Path(__file__).resolve().parents[1] / "powertrack" / "samples"

# (tag, rule). {author0}, {author1}: the busiest authors; {org}: the most
# retweeted account; {mentioned}: the most mentioned user; {replied}: the
# most replied-to user.
RULES: list[tuple[str | None, str]] = [
    ("space", "(mars OR moon OR rocket) (launch OR rover OR orbit) -is:retweet"),
    ("space", '"perseverance rover" OR #Mars'),
    ("space", "#NASA OR #Artemis OR #JWST OR #ISS"),
    ("space", '"rocket launch"~4'),
    ("space", "(🚀 OR 🌍) (launch OR rocket OR moon)"),
    ("space-geo", "point_radius:[-80.65 28.57 10mi] OR point_radius:[-73.94 40.70 25mi]"),
    ("tech", "(python OR rust OR linux) (code OR release OR bug OR developer)"),
    ("tech", '"open source" has:links'),
    ("tech", '#AI OR #MachineLearning OR "machine learning"'),
    ("tech", "url:github OR url:techcrunch"),
    ("finance", "$TSLA OR $NVDA OR $AAPL"),
    ("finance", "(bitcoin OR ethereum OR crypto) -is:retweet lang:en"),
    ("finance", '"interest rates" OR inflation OR recession'),
    ("finance", "is:quote (stocks OR market OR earnings)"),
    ("sports", '#WorldCup OR "world cup"'),
    ("sports-es", "(gol OR partido OR árbitro OR campeón) lang:es"),
    ("sports-pt", "(futebol OR gol OR jogo OR campeão) lang:pt"),
    ("sports-de", "(fußball OR tor OR spiel OR mannschaft) lang:de"),
    ("sports-fr", "(football OR équipe OR match) lang:fr"),
    ("sports", "contains:ball -is:retweet"),
    ("music", '#NowPlaying OR #NewMusic OR "new album"'),
    ("music", '(concert OR tour OR festival) (tickets OR "sold out" OR stage)'),
    ("music", "#KPOP OR #BTS"),
    ("screen", "(trailer OR premiere OR finale) -spoiler"),
    ("screen", '#Oscars OR "best picture" OR "box office"'),
    ("politics", "(election OR vote OR ballot) -is:retweet"),
    ("politics", "#Election2024 OR #Elecciones2024"),
    ("politics-es", "(elecciones OR votación) lang:es"),
    ("weather", '"climate change" OR #ClimateChange OR #ClimateAction'),
    ("weather", "(hurricane OR tornado OR flood OR storm) has:media"),
    ("food", "(pizza OR tacos OR ramen OR sushi) -is:retweet"),
    ("accents", "café OR jalapeño OR cumpleaños OR crème"),
    ("food", "source:Instagram (coffee OR brunch OR foodie)"),
    ("gaming", "#gaming OR #esports OR #PS5"),
    ("gaming", "(nintendo OR playstation OR xbox) -#esports"),
    ("health", '"mental health" OR #MentalHealth'),
    ("health", "(marathon OR workout OR yoga OR gym) has:images"),
    ("travel", "(flight OR airport) (delay OR luggage OR passport)"),
    ("travel", "(#travel OR #wanderlust) lang:en"),
    ("people", "from:{author0} OR from:{author1}"),
    ("people", "from:{org} -is:retweet"),
    ("people", "retweets_of:{org}"),
    ("people", "@{mentioned}"),
    ("people", "to:{replied} -is:retweet"),
    ("profiles", "bio:engineer (ai OR python OR code OR data)"),
    ("profiles", 'bio_location:"new york" has:links'),
    ("profiles", "followers_count:100000 (news OR launch OR election OR market)"),
    ("profiles", "is:verified (breaking OR update OR news)"),
    ("geo", "place_country:BR"),
    ("geo", "bounding_box:[-0.45 51.35 -0.05 51.65]"),
    ("geo", "has:geo (today OR tonight OR day OR night OR weekend)"),
    ("japanese", "#拡散希望 OR #東京 OR contains:ロケット OR contains:宇宙"),
    (None, "(love OR happy OR amazing) sample:10"),
    (None, "(breaking OR update) -is:nullcast -is:retweet"),
    (None, '"to the moon" OR "buy the dip"'),
]


def _tweets() -> tuple[list[dict[str, Any]], list[bytes]]:
    tweets = SyntheticTweets(SEED, users=USERS).take(TWEETS)
    lines = [
        orjson.dumps(to_v2(tweet) if i % V2_EVERY == V2_EVERY - 1 else tweet)
        for i, tweet in enumerate(tweets)
    ]
    return tweets, lines


def _people(tweets: list[dict[str, Any]]) -> dict[str, str]:
    authors = Counter(t["user"]["screen_name"] for t in tweets)
    # The most retweeted account that also posts in the sample itself.
    posting = {t["user"]["screen_name"] for t in tweets if "retweeted_status" not in t}
    retweeted = Counter(
        t["retweeted_status"]["user"]["screen_name"]
        for t in tweets
        if "retweeted_status" in t and t["retweeted_status"]["user"]["screen_name"] in posting
    )
    mentioned = Counter(
        m["screen_name"]
        for t in tweets
        if "retweeted_status" not in t
        for m in (t.get("extended_tweet") or t)["entities"]["user_mentions"]
    )
    replied = Counter(t["in_reply_to_screen_name"] for t in tweets if t["in_reply_to_screen_name"])
    (author0, _), (author1, _) = authors.most_common(2)
    return {
        "author0": author0,
        "author1": author1,
        "org": retweeted.most_common(1)[0][0],
        "mentioned": mentioned.most_common(1)[0][0],
        "replied": replied.most_common(1)[0][0],
    }


def _rules(people: dict[str, str]) -> list[bytes]:
    return [
        orjson.dumps({"id": str(FIRST_RULE_ID + n), "value": value.format(**people), "tag": tag})
        for n, (tag, value) in enumerate(RULES, start=1)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check the files are current")
    args = parser.parse_args()
    tweets, tweet_lines = _tweets()
    outputs = {
        SAMPLES / "tweets.jsonl": b"\n".join(tweet_lines) + b"\n",
        SAMPLES / "rules.jsonl": b"\n".join(_rules(_people(tweets))) + b"\n",
    }
    stale = [
        path for path, data in outputs.items() if not path.exists() or path.read_bytes() != data
    ]
    if args.check:
        for path in stale:
            print(f"out of date: {path}", file=sys.stderr)
        return 1 if stale else 0
    for path, data in outputs.items():
        path.write_bytes(data)
        print(f"wrote {path} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
