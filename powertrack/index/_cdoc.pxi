# Included by _cindex.pyx: what matching reads of a tweet, as plain fields.
#
# A Doc is filled either from a Tweet (doc_of_tweet) or straight from decoded
# JSON by the compiled v1.1 reader (_cjson.pxi), so the features below never
# need a Tweet. It holds the values as the Tweet would: unfolded, as given.

cdef enum:
    MEDIA_PHOTO = 0
    MEDIA_VIDEO = 1  # a video or an animated GIF


@cython.final
@cython.no_gc  # holds strings and lists of strings: no cycle can pass through it
cdef class Part:
    """One tweet of the quote scope: the tweet itself, or its quoted original."""

    cdef public str text
    cdef public list hashtags
    cdef public list symbols
    cdef public list mention_names
    cdef public list mention_ids
    cdef public list url_tco
    cdef public list url_expanded
    cdef public list media_types
    cdef public list media_tco
    cdef public list media_expanded
    cdef public object reply_status_id  # str or None

    def __cinit__(self):
        self.hashtags = []
        self.symbols = []
        self.mention_names = []
        self.mention_ids = []
        self.url_tco = []
        self.url_expanded = []
        self.media_types = []
        self.media_tco = []
        self.media_expanded = []
        self.reply_status_id = None


@cython.final
@cython.no_gc  # holds strings, numbers and its Parts
cdef class Doc:
    """The fields of one tweet that the compiled matcher reads."""

    cdef public str id
    cdef public Part main
    cdef public Part quoted       # the quote scope's second tweet, or None
    cdef public str author_id
    cdef public str author_screen_name
    cdef public str author_name
    cdef public str author_description
    cdef public str author_location
    cdef public bint verified
    cdef public object followers   # Python ints, as the Tweet holds them
    cdef public object friends
    cdef public object statuses
    cdef public object listed
    cdef public object lang        # str or None
    cdef public object reply_user_id
    cdef public object reply_screen_name
    cdef public object conversation_id
    cdef public bint retweet
    cdef public object rt_id
    cdef public object rt_author_screen_name
    cdef public object rt_author_id
    cdef public bint is_quote      # is:quote: flagged a quote, or carrying its quoted original
    cdef public str source
    cdef public bint has_place
    cdef public str place_id
    cdef public str place_full_name
    cdef public str place_country
    cdef public bint has_bbox
    cdef public double west, south, east, north
    cdef public bint has_point
    cdef public double lon, lat
    cdef public bint nullcast


cdef Part _part_of_tweet(object tweet):
    cdef Part part = Part.__new__(Part)
    part.text = tweet.text
    part.hashtags = list(tweet.hashtags)
    part.symbols = list(tweet.symbols)
    for mention in tweet.mentions:
        part.mention_names.append(mention.screen_name)
        part.mention_ids.append(mention.id)
    for url in tweet.urls:
        part.url_tco.append(url.url)
        part.url_expanded.append(url.expanded_url)
    for item in tweet.media:
        part.media_types.append(MEDIA_PHOTO if item.type == "photo" else MEDIA_VIDEO)
        part.media_tco.append(item.url)
        part.media_expanded.append(item.expanded_url)
    part.reply_status_id = tweet.in_reply_to_status_id
    return part


cpdef Doc doc_of_tweet(object tweet):
    """The Doc of a :class:`~powertrack.tweets.model.Tweet`."""
    cdef Doc doc = Doc.__new__(Doc)
    doc.id = tweet.id
    doc.main = _part_of_tweet(tweet)
    quoted = tweet.quoted
    retweeted = tweet.retweeted
    if quoted is None and retweeted is not None:
        quoted = retweeted.quoted
    doc.quoted = None if quoted is None else _part_of_tweet(quoted)
    author = tweet.author
    doc.author_id = author.id
    doc.author_screen_name = author.screen_name
    doc.author_name = author.name
    doc.author_description = author.description
    doc.author_location = author.location
    doc.verified = author.verified
    doc.followers = author.followers_count
    doc.friends = author.friends_count
    doc.statuses = author.statuses_count
    doc.listed = author.listed_count
    doc.lang = tweet.lang
    doc.reply_user_id = tweet.in_reply_to_user_id
    doc.reply_screen_name = tweet.in_reply_to_screen_name
    doc.conversation_id = tweet.conversation_id
    doc.retweet = retweeted is not None
    if retweeted is not None:
        doc.rt_id = retweeted.id
        doc.rt_author_screen_name = retweeted.author.screen_name
        doc.rt_author_id = retweeted.author.id
    doc.is_quote = tweet.is_quote or tweet.quoted is not None
    doc.source = tweet.source
    place = tweet.place
    doc.has_place = place is not None
    if place is not None:
        doc.place_id = place.id
        doc.place_full_name = place.full_name
        doc.place_country = place.country_code
        if place.bbox is not None:
            doc.has_bbox = True
            doc.west, doc.south, doc.east, doc.north = place.bbox
    point = tweet.point
    if point is not None:
        doc.has_point = True
        doc.lon, doc.lat = point
    doc.nullcast = tweet.nullcast
    return doc
