"""Word lists, topics, places and clients for the synthetic firehose.

All written for this project: common words of each language, roughly in
order of frequency (the generator draws them with a Zipf law, so the order
matters), topical words that give rules something specific to find, and
approximate city boxes. Nothing here is taken from real tweets.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BIO_ROLES",
    "CITIES",
    "COMMON",
    "EMOJI",
    "FIRST_NAMES",
    "FREE_LOCATIONS",
    "GENERIC_HASHTAGS",
    "LANG_HASHTAGS",
    "LAST_NAMES",
    "LOANWORDS",
    "SOURCES",
    "TOPICS",
    "City",
    "Topic",
]


def _words(text: str) -> tuple[str, ...]:
    # Order of first appearance is the frequency rank; repeats are dropped.
    return tuple(dict.fromkeys(text.split()))


@dataclass(frozen=True, slots=True)
class Topic:
    """A subject people tweet about, with the words, tags and sites that go with it."""

    name: str
    words: tuple[str, ...]
    phrases: tuple[str, ...]
    hashtags: tuple[str, ...]
    domains: tuple[str, ...]
    cashtags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class City:
    """A place a tweet can be tagged with; the box is centre +/- half sizes in degrees."""

    name: str
    full_name: str
    country_code: str
    country: str
    place_type: str
    lon: float
    lat: float
    half_width: float
    half_height: float
    lang: str


COMMON: dict[str, tuple[str, ...]] = {
    "en": _words(
        """
        the i to a and you is it in of my for that this on me be so just with at was
        not but have your are all we like what get if love do no can up now out one
        when good day how time know people go today see new more about they his her
        will got one from think back really want been make need too here there some
        still would year last great right only much first life going thank happy
        lol best never over why work better always feel night off after could made
        look little down tonight most come thing every while next tomorrow week home
        again world guys free even show said something school these oh man then take
        way should because than yes game said please many well let those our keep
        them also long miss watch team live wait amazing follow before real big pretty
        around someone nothing gonna wanna hope since everyone into friends old play
        stop find tell days tweet everything beautiful bad fun full he she who done
        which news sure hard hate ever music end other talk girl help part call start
        photo video two three thanks least yeah guess friend omg maybe yet ready
        morning weekend family money believe post birthday summer place story getting
        true gets sorry funny away looks cool nice check read true soon wow idea
        favorite must almost open another enough month hour hours minutes seen years
        found heart coming without leave cant dont im its youre thats whats kinda
        anyone already lot lots public says city live light head point win lost
        today's party job tired sleep food eat hot cold dead bed line car phone
        local small whole different mind wish least kids fan fans number run power
        black white red blue green second share support anything high left late early
        proud excited crazy awesome honestly literally probably actually totally
        absolutely officially finally update breaking report via thread reminder
        """
    ),
    "es": _words(
        """
        que de la el en y a los se no por un con para una es lo me mi pero más muy
        todo qué como cuando está hoy mañana año gracias amor vida día noche feliz
        mejor siempre nunca bien mal aquí ahora después nuevo gente ciudad país sí
        así están tenemos quiero vamos porque también nada todos hay ser hacer tiempo
        cumpleaños niño corazón canción fútbol partido gol equipo música película
        elecciones votación lluvia calor café comida señor campeón árbitro estadio
        tráiler capítulo cohete lanzamiento luna estrella espacio tecnología
        aplicación teléfono mercado precio acciones semana mundo amigos familia casa
        trabajo escuela mamá papá jajaja buenísimo increíble último próximo según
        """
    ),
    "pt": _words(
        """
        que de não o a e é um uma para com do da em os meu minha você muito mais mas
        tudo hoje amanhã ano obrigado obrigada amor vida dia noite feliz melhor sempre
        nunca bem aqui agora depois novo gente cidade país sim então estão vamos
        porque também nada todos tem ser fazer tempo coração canção futebol jogo gol
        time música filme eleição chuva calor café comida saudade campeão estádio
        lançamento lua estrela espaço tecnologia aplicativo celular mercado preço
        ações semana mundo amigos família casa trabalho escola mãe pai kkkkk ótimo
        incrível último próximo irmão ação coisa pão maçã
        """
    ),
    "fr": _words(
        """
        le la les de des et à un une est pas je tu il elle nous vous ce que qui pour
        avec sur dans très plus mais tout demain année merci amour vie jour nuit
        heureux mieux toujours jamais bien ici maintenant après nouveau gens ville pays
        ça où déjà été être voilà fête cœur chanson football match but équipe musique
        film aussi élection pluie chaleur café français lancement fusée lune étoile
        espace technologie téléphone marché prix bourse semaine monde amis famille
        maison travail école mdr génial incroyable dernier prochain noël crème
        """
    ),
    "de": _words(
        """
        der die das und ist nicht ich du wir ein eine mit für auf zu von es sehr aber
        auch heute morgen jahr danke liebe leben tag nacht glücklich besser immer nie
        gut hier jetzt nach neu leute stadt land ja schön über müssen können haben
        sein machen zeit herz lied fußball spiel tor mannschaft musik film wahl regen
        hitze kaffee essen straße grüße käse brötchen rakete start mond stern weltraum
        technik handy markt preis aktien woche welt freunde familie haus arbeit schule
        mädchen geil krass unglaublich letzte nächste bundesliga
        """
    ),
    # Japanese is written without spaces: content words and particles are drawn
    # from one list and joined directly, which is how the tokenizer will see it.
    "ja": _words(
        """
        の は が を に で と も 今日 本当に ありがとう おはよう 最高 かわいい 楽しい
        嬉しい 好き 大好き 写真 動画 音楽 ライブ 新曲 試合 勝利 天気 雨 雪 地震 台風
        ラーメン 寿司 カフェ 猫 犬 桜 東京 大阪 仕事 学校 友達 ゲーム アニメ 映画 宇宙
        ロケット 打ち上げ 月 星 株価 選挙 おやすみ 疲れた 頑張る 楽しみ すごい やばい
        です ました けど から よ ね
        """
    ),
}

# English words with accents: accent-sensitive matching needs them in English text too.
LOANWORDS = _words("café jalapeño résumé naïve piñata fiancée déjà vu crème brûlée cumpleaños")

TOPICS: tuple[Topic, ...] = (
    Topic(
        "space",
        _words(
            "mars rover perseverance nasa rocket launch orbit astronaut moon lunar telescope "
            "galaxy nebula asteroid satellite iss crew capsule booster countdown liftoff "
            "spacewalk webb exoplanet comet eclipse meteor planet jupiter saturn"
        ),
        ("perseverance rover", "space station", "solar eclipse", "launch window", "black hole"),
        _words("Mars NASA Artemis ISS Astronomy Eclipse JWST LaunchDay SpaceTwitter"),
        _words("nasa.gov space.com esa.int planetary.org"),
    ),
    Topic(
        "tech",
        _words(
            "ai model python code release bug startup app iphone android update cloud data "
            "gpu chip laptop keyboard developer api server outage beta robot rust linux "
            "privacy security password browser"
        ),
        ("open source", "machine learning", "data breach", "new feature", "pull request"),
        _words("AI Python OpenSource MachineLearning DevOps 100DaysOfCode CyberSecurity tech"),
        _words("github.com techcrunch.com theverge.com arstechnica.com news.ycombinator.com"),
    ),
    Topic(
        "finance",
        _words(
            "stocks market earnings shares rally bitcoin ethereum inflation rates fed "
            "dividend ipo bull bear portfolio trading futures nasdaq dow recession crypto "
            "yield bonds options calls puts"
        ),
        ("interest rates", "all time high", "earnings call", "to the moon", "buy the dip"),
        _words("stocks investing crypto Bitcoin trading WallStreet FinTwit"),
        _words("bloomberg.com reuters.com cnbc.com wsj.com coindesk.com"),
        _words("AAPL TSLA NVDA MSFT AMZN BTC ETH SPY GME AMD"),
    ),
    Topic(
        "sports",
        _words(
            "goal match league season playoffs coach striker penalty referee stadium "
            "championship final win team fans transfer worldcup nba nfl touchdown dunk "
            "overtime derby keeper halftime"
        ),
        ("world cup", "game day", "last minute", "red card", "hat trick"),
        _words("WorldCup NBAFinals SuperBowl PremierLeague LaLiga GameDay UCL"),
        _words("espn.com bbc.co.uk skysports.com marca.com theathletic.com"),
    ),
    Topic(
        "music",
        _words(
            "album tour concert single lyrics playlist guitar drummer festival stage encore "
            "vinyl chart band setlist kpop rapper remix tickets soundcheck"
        ),
        ("new album", "world tour", "music video", "sold out", "on repeat"),
        _words("NewMusic NowPlaying KPOP BTS Coachella NewMusicFriday vinyl"),
        _words("open.spotify.com youtube.com music.apple.com pitchfork.com soundcloud.com"),
    ),
    Topic(
        "screen",
        _words(
            "trailer episode premiere series finale spoiler netflix oscars director cast "
            "sequel anime streaming documentary showrunner binge"
        ),
        ("box office", "season finale", "official trailer", "best picture", "plot twist"),
        _words("Oscars Netflix NowWatching SpoilerAlert anime GameOfThrones"),
        _words("imdb.com variety.com youtube.com netflix.com rottentomatoes.com"),
    ),
    Topic(
        "politics",
        _words(
            "election vote senate congress president debate campaign policy ballot poll "
            "governor bill law parliament minister protest candidate turnout"
        ),
        ("supreme court", "breaking news", "polling station", "prime minister", "press conference"),
        _words("Election2024 Vote Debate BREAKING Politics Elecciones2024"),
        _words("apnews.com nytimes.com politico.com bbc.com theguardian.com"),
    ),
    Topic(
        "weather",
        _words(
            "storm hurricane rain snow heatwave flood tornado forecast temperature climate "
            "wildfire drought warning sunny wind thunder humidity evacuation"
        ),
        ("climate change", "heat wave", "severe weather", "flash flood", "power outage"),
        _words("ClimateChange Hurricane weather wildfire ClimateAction heatwave"),
        _words("weather.gov noaa.gov weather.com metoffice.gov.uk"),
    ),
    Topic(
        "food",
        _words(
            "pizza tacos coffee brunch recipe vegan burger sushi ramen dessert chocolate "
            "bakery croissant espresso barbecue noodles avocado pancakes"
        ),
        ("ice cream", "taco tuesday", "food truck", "home cooked", "happy hour"),
        _words("foodie coffee Recipe TacoTuesday vegan brunch"),
        _words("instagram.com allrecipes.com yelp.com bonappetit.com"),
    ),
    Topic(
        "gaming",
        _words(
            "console stream speedrun patch boss level quest esports controller multiplayer "
            "ranked loot nintendo playstation xbox steam indie"
        ),
        ("early access", "open world", "patch notes", "new update", "boss fight"),
        _words("gaming esports PS5 NintendoSwitch Twitch indiedev"),
        _words("twitch.tv store.steampowered.com ign.com polygon.com youtube.com"),
    ),
    Topic(
        "health",
        _words(
            "vaccine covid flu hospital nurse doctor workout gym sleep marathon yoga diet "
            "therapy wellness steps protein cardio"
        ),
        ("mental health", "public health", "personal best", "rest day", "self care"),
        _words("MentalHealth fitness COVID19 health running selfcare"),
        _words("who.int cdc.gov nhs.uk strava.com healthline.com"),
    ),
    Topic(
        "travel",
        _words(
            "flight airport hotel beach vacation passport trip roadtrip mountains sunset "
            "delay luggage cruise hostel backpacking island"
        ),
        ("boarding pass", "road trip", "bucket list", "window seat", "flight delayed"),
        _words("travel wanderlust vacation TravelTuesday beach"),
        _words("booking.com tripadvisor.com airbnb.com lonelyplanet.com"),
    ),
)

GENERIC_HASHTAGS = _words("tbt love mood MondayMotivation FridayFeeling photography art blessed")
LANG_HASHTAGS: dict[str, tuple[str, ...]] = {
    "es": _words("FelizLunes LigaMX cumpleaños BuenosDías España México"),
    "pt": _words("Brasileirão BBB saudade BomDia Brasil"),
    "fr": _words("Paris2024 bonjour Ligue1 France"),
    "de": _words("Bundesliga Tatort Berlin GutenMorgen"),
    "ja": _words("拡散希望 東京 おはようございます 相互フォロー"),
}

EMOJI = _words(
    "😂 ❤️ 😍 🔥 🙏 😭 ✨ 👏 🚀 🌍 🎉 💯 👀 😎 🤔 🙌 💙 ⚽ 🏀 🎶 🎬 ☕ 🍕 🌧️ ☀️ 📈 📉 "
    "💰 🎮 🇺🇸 🇧🇷 🇪🇸 🇯🇵 🇫🇷 🇩🇪 🇲🇽 👍🏽 👋🏿 👩‍🚀 🧑‍💻 👨‍👩‍👧 🏳️‍🌈 1️⃣"
)

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "en": _words(
        "James Mary Olivia Liam Emma Noah Ava Ethan Sophia Mason Chloe Lucas Zoë Aiden "
        "Priya Kevin Aisha Jamal Hannah Connor Grace Tyler Megan Ryan Kayla Dylan"
    ),
    "es": _words("José María Lucía Mateo Sofía Diego Valentina Alejandro Camila Andrés Martín"),
    "pt": _words("João Ana Pedro Beatriz Gabriel Júlia Rafael Larissa Thiago Letícia"),
    "fr": _words("Léa Hugo Chloé Théo Manon Noémie Jérôme Amélie Gaël François"),
    "de": _words("Lukas Anna Jürgen Lea Felix Marie Jonas Sören Katharina Maximilian"),
    "ja": _words("太郎 花子 翔太 さくら 健太 美咲 大輔 陽菜 Yuki Haruto"),
}
LAST_NAMES: dict[str, tuple[str, ...]] = {
    "en": _words(
        "Smith Johnson Brown Taylor Miller Davis Wilson Clark Lewis Walker Young Patel "
        "Nguyen Kim O'Brien Murphy Cooper Reed Hughes Price"
    ),
    "es": _words("García Martínez López Hernández González Pérez Sánchez Ramírez Torres Núñez"),
    "pt": _words("Silva Santos Oliveira Souza Pereira Costa Rodrigues Almeida Conceição Gonçalves"),
    "fr": _words("Martin Bernard Dubois Lefèvre Moreau Girard Rousseau Bonnet Faure Mercier"),
    "de": _words("Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schäfer Köhler"),
    "ja": _words("佐藤 鈴木 高橋 田中 渡辺 伊藤 山本 中村 Sato Tanaka"),
}

BIO_ROLES: dict[str, tuple[str, ...]] = {
    "en": (
        "Software engineer",
        "Mom of 3",
        "Student",
        "Photographer",
        "Astronomy nerd",
        "Coffee addict",
        "Journalist",
        "Teacher",
        "Gamer",
        "Runner",
        "Dog lover",
        "Music producer",
        "Investor",
        "Nurse",
        "Artist",
        "Writer",
        "Opinions my own",
        "she/her",
        "he/him",
        "they/them",
        "RTs are not endorsements",
        "Data scientist",
        "Small business owner",
        "Retired",
    ),
    "es": ("Estudiante", "Periodista", "Amante del fútbol", "Mamá", "Diseñadora", "Ingeniero"),
    "pt": ("Estudante", "Jornalista", "Apaixonada por música", "Professor", "Designer"),
    "fr": ("Étudiante", "Journaliste", "Passionné de cinéma", "Développeur", "Prof"),
    "de": ("Student", "Journalistin", "Fußballfan", "Entwickler", "Lehrerin"),
    "ja": ("学生", "会社員", "アニメ好き", "カメラ", "猫好き"),
}
FREE_LOCATIONS = (
    "",
    "",
    "",
    "Earth",
    "somewhere over the rainbow",
    "the internet",
    "🌍",
    "here and there",
    "Worldwide",
)

# name | full name | country code | country | place type | lon | lat | half width | half height
# | language of most tweets there. Boxes are rough, in degrees; a poi is a point-sized box.
_CITY_TABLE = """
    New York|New York, NY|US|United States|city|-73.94|40.7|0.28|0.2|en
    Los Angeles|Los Angeles, CA|US|United States|city|-118.41|34.02|0.3|0.3|en
    Chicago|Chicago, IL|US|United States|city|-87.68|41.84|0.2|0.2|en
    Houston|Houston, TX|US|United States|city|-95.39|29.79|0.3|0.25|en
    Austin|Austin, TX|US|United States|city|-97.75|30.31|0.15|0.18|en
    San Francisco|San Francisco, CA|US|United States|city|-122.44|37.76|0.08|0.06|en
    Seattle|Seattle, WA|US|United States|city|-122.33|47.61|0.1|0.13|en
    Miami|Miami, FL|US|United States|city|-80.21|25.78|0.07|0.07|en
    Boston|Boston, MA|US|United States|city|-71.06|42.32|0.1|0.08|en
    Washington|Washington, DC|US|United States|city|-77.02|38.9|0.1|0.1|en
    California|California, USA|US|United States|admin|-119.5|37.2|5.2|4.8|en
    Kennedy Space Center|Kennedy Space Center|US|United States|poi|-80.65|28.57|0.0|0.0|en
    Central Park|Central Park|US|United States|poi|-73.97|40.78|0.0|0.0|en
    Toronto|Toronto, Ontario|CA|Canada|city|-79.38|43.7|0.2|0.12|en
    London|London, England|GB|United Kingdom|city|-0.12|51.5|0.35|0.2|en
    Manchester|Manchester, England|GB|United Kingdom|city|-2.24|53.48|0.1|0.07|en
    Wembley Stadium|Wembley Stadium|GB|United Kingdom|poi|-0.28|51.56|0.0|0.0|en
    Dublin|Dublin City, Ireland|IE|Ireland|city|-6.26|53.35|0.1|0.06|en
    Sydney|Sydney, New South Wales|AU|Australia|city|151.2|-33.87|0.4|0.35|en
    Mumbai|Mumbai, India|IN|India|city|72.88|19.08|0.12|0.2|en
    Madrid|Madrid, Comunidad de Madrid|ES|España|city|-3.7|40.42|0.2|0.15|es
    Barcelona|Barcelona, España|ES|España|city|2.17|41.39|0.1|0.07|es
    Ciudad de México|Ciudad de México, México|MX|México|city|-99.13|19.43|0.25|0.25|es
    Estadio Azteca|Estadio Azteca|MX|México|poi|-99.15|19.3|0.0|0.0|es
    Buenos Aires|Buenos Aires, Argentina|AR|Argentina|city|-58.44|-34.61|0.13|0.1|es
    Bogotá|Bogotá, D.C., Colombia|CO|Colombia|city|-74.1|4.65|0.12|0.2|es
    São Paulo|São Paulo, Brasil|BR|Brasil|city|-46.63|-23.55|0.3|0.35|pt
    Rio de Janeiro|Rio de Janeiro, Brasil|BR|Brasil|city|-43.45|-22.91|0.35|0.15|pt
    Maracanã|Estádio do Maracanã|BR|Brasil|poi|-43.23|-22.91|0.0|0.0|pt
    Lisboa|Lisboa, Portugal|PT|Portugal|city|-9.15|38.74|0.08|0.05|pt
    Paris|Paris, France|FR|France|city|2.35|48.86|0.12|0.07|fr
    Lyon|Lyon, France|FR|France|city|4.84|45.76|0.05|0.04|fr
    Montréal|Montréal, Québec|CA|Canada|city|-73.65|45.55|0.2|0.12|fr
    Berlin|Berlin, Deutschland|DE|Deutschland|city|13.4|52.52|0.3|0.17|de
    München|München, Bayern|DE|Deutschland|city|11.58|48.14|0.15|0.1|de
    Wien|Wien, Österreich|AT|Österreich|city|16.37|48.21|0.2|0.12|de
    Tokyo|Shibuya-ku, Tokyo|JP|日本|city|139.7|35.66|0.03|0.03|ja
    Osaka|Osaka-shi, Osaka|JP|日本|city|135.5|34.69|0.1|0.08|ja
"""
CITIES: tuple[City, ...] = tuple(
    City(n, f, cc, c, t, float(lon), float(lat), float(w), float(h), lang)
    for n, f, cc, c, t, lon, lat, w, h, lang in (
        line.strip().split("|") for line in _CITY_TABLE.strip().splitlines()
    )
)

# (client name, link) pairs, weighted by how often the client posts.
SOURCES: tuple[tuple[str, str, int], ...] = (
    ("Twitter for iPhone", "http://twitter.com/download/iphone", 40),
    ("Twitter for Android", "http://twitter.com/download/android", 30),
    ("Twitter Web App", "https://mobile.twitter.com", 18),
    ("TweetDeck", "https://about.twitter.com/products/tweetdeck", 4),
    ("Hootsuite Inc.", "https://www.hootsuite.com", 2),
    ("Buffer", "https://buffer.com", 2),
    ("IFTTT", "https://ifttt.com", 1),
    ("Instagram", "http://instagram.com", 2),
    ("powertrack synthetic", "https://github.com/powertrack/powertrack", 1),
)
