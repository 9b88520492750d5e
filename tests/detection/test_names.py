"""Person names in Kazakh and Russian text: what is a name, what only looks like one, and scores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from proxy.detection.engine import Finding
from proxy.detection.evaluation import evaluate, load_examples
from proxy.detection.names import NatashaPersonRecognizer, person_spans

PUBLIC_SET = Path(__file__).parents[3] / "shared" / "pii_eval" / "public.jsonl"
HELDOUT_SET = Path(__file__).with_name("heldout_names.jsonl")
KAZAKH_SET = Path(__file__).with_name("heldout_kazakh_names.jsonl")
KAZAKH_BAR = 0.95  # measured 0.981; the misses are rare names at a sentence's start


def found_names(text: str) -> list[str]:
    return [text[start:end] for start, end in person_spans(text)]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        pytest.param("Должник Ахметов Ерлан Кайратович просит рассрочку.",
                     ["Ахметов Ерлан Кайратович"], id="ru-full-name"),
        pytest.param("Қарыз алушы Жұмабекова Әлия Серікқызы хабарласты.",
                     ["Жұмабекова Әлия Серікқызы"], id="kk-full-name-qyzy"),
        pytest.param("Уведомление направлено Ахметову Ерлану.", ["Ахметову Ерлану"],
                     id="ru-dative"),
        pytest.param("Жалоба от Сейткалиевой Айгерим принята.", ["Сейткалиевой Айгерим"],
                     id="ru-genitive-feminine"),
        pytest.param("С Григорьевым Константином Валерьевичем договорились.",
                     ["Григорьевым Константином Валерьевичем"], id="ru-instrumental"),
        pytest.param("Хат Мусабаевке жіберілді.", ["Мусабаевке"], id="kk-dative-surname"),
        pytest.param("Подписал Ахметов Е.К., юрист.", ["Ахметов Е.К."], id="initials-after"),
        pytest.param("Подписал Е.К. Ахметов, юрист.", ["Е.К. Ахметов"], id="initials-before"),
        pytest.param("Исполнитель Е. К. Ахметов.", ["Е. К. Ахметов"], id="initials-spaced"),
        pytest.param("ФИО: ТЛЕУБЕРДИН МИРАС ЖАНАТҰЛЫ; статус: должник",
                     ["ТЛЕУБЕРДИН МИРАС ЖАНАТҰЛЫ"], id="registry-caps"),
        pytest.param("гр. Есімов явился в офис.", ["Есімов"], id="title-gr"),
        pytest.param("г-жа Сорокина просила перезвонить.", ["Сорокина"], id="title-gzha"),
        pytest.param("Ерсұлтан мырза төлемді кешіктірді.", ["Ерсұлтан"], id="kk-honorific-after"),
        pytest.param("Уважаемый Ерсін Болатбекұлы, ждём вас.", ["Ерсін Болатбекұлы"],
                     id="unknown-given-with-patronymic"),
        pytest.param("Заявитель: Тоқтаров Нұрсерік, тел. не указан.", ["Тоқтаров Нұрсерік"],
                     id="surname-with-unknown-given"),
        pytest.param("Клиент Ким Вадим Эдуардович оплатил.", ["Ким Вадим Эдуардович"],
                     id="korean-surname"),
        pytest.param("Email from Dias Kemelbekov about the debt.", ["Dias Kemelbekov"],
                     id="latin"),
        pytest.param("Акт подписали Жуматов Б.С. и Ли В.П.", ["Жуматов Б.С.", "Ли В.П."],
                     id="two-people"),
        pytest.param("ИП Тасбулатов Е.Қ. оказывает услуги.", ["Тасбулатов Е.Қ."],
                     id="sole-trader-is-a-person"),
        pytest.param("Кеше Бекзатқа хабарластық.", ["Бекзатқа"], id="kk-lone-dative"),
        pytest.param("Ернардың телефоны өшірулі.", ["Ернардың"], id="kk-lone-genitive-first"),
        pytest.param("Оператор Гүлшатпен сөйлесті.", ["Гүлшатпен"], id="kk-lone-instrumental"),
        pytest.param("Бүгін Сәкеннен хат келді.", ["Сәкеннен"], id="kk-lone-ablative"),
        pytest.param("Құжаттар Жандоста қалды.", ["Жандоста"], id="kk-lone-locative"),
        pytest.param("Коллектор Жазираны қорқытқан.", ["Жазираны"], id="kk-lone-accusative"),
        pytest.param("Ботабикеге хат жіберілді.", ["Ботабикеге"], id="kk-built-from-parts"),
        pytest.param("Кеңсеге Қорқытбайдан хат келді.", ["Қорқытбайдан"],
                     id="kk-built-weak-ending-mid-sentence"),
        pytest.param("Сәлем, Динара! Төлем қашан болады?", ["Динара"], id="kk-lone-chat"),
        pytest.param("Жазира апа, сізге хат бар.", ["Жазира"], id="kk-lone-before-apa"),
        pytest.param("Хабарлама Ермековке жіберілді.", ["Ермековке"], id="kk-lone-surname-dative"),
        pytest.param("Нұрмағамбет Жақсылықұлы келісімге қол қойды.",
                     ["Нұрмағамбет Жақсылықұлы"], id="kk-opening-word-with-uly"),
        pytest.param("Ерланның әкесі Серік Омаров келді.", ["Ерланның", "Серік Омаров"],
                     id="kk-kinship-splits"),
        pytest.param("Мать должника Асель Омарова просит не звонить сыну Ерлану.",
                     ["Асель Омарова", "Ерлану"], id="ru-kinship-and-lone-dative"),
        # names no list knows, found by their case and their neighbours
        pytest.param("Кеше Томирисқа хат жаздық.", ["Томирисқа"], id="kk-unknown-dative-mid"),
        pytest.param("Шешімді Әмірханнан алдық.", ["Әмірханнан"], id="kk-unknown-ablative-mid"),
        pytest.param("Айсәуледен түсініктеме алынды.", ["Айсәуледен"],
                     id="kk-opening-beginning-with-case"),
        pytest.param("Нұржамалмен келісім жасалды.", ["Нұржамалмен"],
                     id="kk-opening-nur-with-case"),
        pytest.param("Өмірзақтың әпкесі келді.", ["Өмірзақтың"], id="kk-genitive-before-kinship"),
        pytest.param("Борышкердің інісі Темірлан төлейді.", ["Темірлан"],
                     id="kk-after-kinship"),
        pytest.param("Созвонились с Гүлжаһан вчера.", ["Гүлжаһан"],
                     id="ru-preposition-kazakh-letters"),
        pytest.param("Бөкейхан сказал, что заплатит.", ["Бөкейхан"], id="ru-before-speech-verb"),
        pytest.param("Жена Азамата Динара сообщила.", ["Азамата", "Динара"],
                     id="ru-genitive-beside-nominative"),
    ],
)  # fmt: skip
def test_names_are_found(text: str, names: list[str]) -> None:
    assert found_names(text) == names


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Офис ТОО «Астана Финанс» переехал.", id="org-quoted"),
        pytest.param("АО «Kaspi Bank» передало портфель.", id="org-latin"),
        pytest.param("Абонент «Қазақтелеком» сменил тариф.", id="org-kk"),
        pytest.param("ТОО «Жуматов и партнёры» не отвечает.", id="org-named-after-person"),
        pytest.param("Адрес: г. Алматы, ул. Абая, 52.", id="street-ul"),
        pytest.param("Офис на пр. Назарбаева, 223.", id="avenue-pr"),
        pytest.param("Мекенжайы: Астана қ., Абай даңғылы 15.", id="kk-avenue"),
        pytest.param("Бауыржан Момышұлы даңғылы, 12 мекенжайы.", id="kk-avenue-full-name"),
        pytest.param("Абылай хан даңғылындағы кеңсе.", id="kk-avenue-epithet"),
        pytest.param("Филиал в г. Қонаев закрыт.", id="town-named-after-person"),
        pytest.param("Справка из КазНУ им. аль-Фараби.", id="named-after"),
        pytest.param("Наурыз мерекесіне байланысты кеңсе жабық.", id="month-kk"),
        pytest.param("Оплата поступила в Мае через терминал.", id="month-ru"),
        pytest.param("Қарыз сомасы 450 000 теңге.", id="kk-common-noun"),
        pytest.param("Документов, подтверждающих оплату, нет.", id="surname-shaped-word"),
        pytest.param("Карагандинская Область передала сведения.", id="adjective-pair"),
        pytest.param("Клиент купил iPhone 15 и Toyota Camry.", id="products"),
        pytest.param("Встреча у памятника Абаю в 15:00.", id="monument-ru"),
        pytest.param("Абай ескерткішінің жанында күтемін.", id="monument-kk"),
        pytest.param(
            "Қазақстан Республикасы Ұлттық коллекторлар палатасына жазыңыз.", id="institution-kk"
        ),
        pytest.param("Әділет министрлігіне хат жолданды.", id="ministry-named-like-a-person"),
        pytest.param("Бақыт пен денсаулық тілеймін!", id="common-word-opening"),
        pytest.param("Жеңіс күні кеңсе жабық.", id="holiday"),
        pytest.param("Айгерім Строй компаниясы жалақыны төледі.", id="company-after-name"),
        pytest.param("Мамыр айында төлеймін.", id="month-kk-opening"),
        pytest.param("Қалай төлеуге болады?", id="adverb-ending-like-a-name"),
        pytest.param("Айтқаннан кейін ол кетті.", id="kk-opening-verb-like-a-name"),
        pytest.param("Ақылдылықтан айырылмаңыз.", id="kk-opening-abstract-noun"),
        pytest.param("Ерекшеліктен бас тарттық.", id="kk-opening-er-word"),
        pytest.param("Жаңадан келісім жасалды.", id="kk-opening-jana"),
        pytest.param("Өтінішті Сотқа жібердік.", id="kk-capitalised-institution-dative"),
        pytest.param("Клиент сказал, что оплатит.", id="ru-role-before-speech-verb"),
        pytest.param(
            "Казахстанский Фонд Гарантирования Депозитов ответил вчера.",
            id="ru-org-before-speech-verb",
        ),
        pytest.param("Договор с Ақмола расторгнут.", id="ru-preposition-kazakh-place"),
    ],
)
def test_look_alikes_are_not_names(text: str) -> None:
    assert found_names(text) == []


def test_year_abbreviation_is_not_a_town() -> None:
    text = "Договор от 12.03.2024 г. Ахметов Е.К. подписал."
    assert found_names(text) == ["Ахметов Е.К."]


def test_recognizer_reports_person_results() -> None:
    results = NatashaPersonRecognizer("ru").analyze("Звонил Ахметов Ерлан.", ["PERSON"])
    assert [(r.entity_type, r.start, r.end) for r in results] == [("PERSON", 7, 20)]
    assert NatashaPersonRecognizer("kk").analyze("Звонил Ахметов Ерлан.", ["KZ_IIN"]) == []


def person_scores(path: Path) -> tuple[float, float, float]:
    """PERSON precision, recall and F1 of the names recognizer alone, scored by the project's
    evaluation (the pii_eval rule: a finding counts when it covers half a labelled span)."""
    report = evaluate(load_examples(path), _person_findings)
    score = report.per_type["PERSON"]
    return score.precision, score.recall, score.f1


def _person_findings(text: str) -> list[Finding]:
    return [Finding(start, end, "PERSON", 1.0) for start, end in person_spans(text)]


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(PUBLIC_SET, id="public"),
        pytest.param(HELDOUT_SET, id="heldout"),
    ],
)
def test_person_f1_reaches_the_bar(path: Path) -> None:
    assert path.exists(), f"{path} is missing: the evaluation sets are part of the test"
    precision, recall, f1 = person_scores(path)
    assert f1 >= 0.95, f"P={precision:.3f} R={recall:.3f} F1={f1:.3f}"


def test_person_f1_on_kazakh_sentences() -> None:
    precision, recall, f1 = person_scores(KAZAKH_SET)
    assert f1 >= KAZAKH_BAR, f"P={precision:.3f} R={recall:.3f} F1={f1:.3f}"


def labelled_words(path: Path) -> set[str]:
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        for entity in row["entities"]:
            if entity["type"] == "PERSON":
                words.update(row["text"][entity["start"] : entity["end"]].lower().split())
    return words


def test_heldout_names_are_not_in_the_public_set() -> None:
    assert PUBLIC_SET.exists(), f"{PUBLIC_SET} is missing: the evaluation sets are part of the test"
    shared = labelled_words(HELDOUT_SET) & labelled_words(PUBLIC_SET)
    assert shared == set()
