"""tokens.rewrite: values found and replaced by the helper's markup, the rest of the page
byte for byte as it was, and nothing touched where it must not be."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tokens
from tokens.rewrite import (
    _DIGIT_RUN,
    _PHONE_RUN,
    _SEPARATOR,
    Rewriter,
    _digit_runs,
    rewrite,
    sniff_charset,
)

ROOT = Path(__file__).resolve().parents[2]
BASE = "https://img.example.com"
#: The helper's markup for one value: an ``<img>``, or a ``<picture>`` holding one.
IMG = re.compile(r"<picture>.*?</picture>|<img [^>]*>", re.DOTALL)


@pytest.fixture
def rewriter(keyring: tokens.KeyRing) -> Rewriter:
    return Rewriter(BASE, region="GB", keyring=keyring)


def images(document: str) -> list[str]:
    return IMG.findall(document)


def texts_of(document: str, keyring: tokens.KeyRing) -> list[str]:
    """The plaintext behind every image in ``document``, in order."""
    found = re.findall(r'src="https://img\.example\.com/t/([A-Za-z0-9_-]+)\.png"', document)
    return [tokens.decode(token, keyring=keyring).text for token in found]


def outside_images(document: str) -> str:
    return IMG.sub("", document)


def test_an_email_in_text_becomes_the_helpers_image(
    rewriter: Rewriter, keyring: tokens.KeyRing
) -> None:
    page = "<p>Write to jane.doe@example.com today.</p>"
    result = rewriter.rewrite(page)
    # Inside a sentence: the helper's compact image, as a template would ask for there.
    expected = tokens.img_tag("jane.doe@example.com", BASE, keyring=keyring, compact=True)
    assert result == f"<p>Write to {expected} today.</p>"


@pytest.mark.parametrize(
    ("page", "compact"),
    [
        ("<dd>jane.doe@example.com</dd>", False),
        ("<td>\n  jane.doe@example.com\n</td>", False),
        ("<li><a href='mailto:jane.doe@example.com'>jane.doe@example.com</a></li>", False),
        ("<p>Write to <a href='mailto:jane.doe@example.com'>jane.doe@example.com</a>.</p>", True),
        ("<p>Mail <b><i>jane.doe@example.com</i></b></p>", True),
        ("<p>Mail:</p><p>jane.doe@example.com</p>", False),
        ("<p>jane.doe@example.com<br>+44 20 7946 0958</p>", False),
        ("<p>jane.doe@example.com &amp; +44 20 7946 0958</p>", False),
        ("<p>jane.doe@example.com or +44 20 7946 0958</p>", True),
    ],
)
def test_a_value_inside_running_text_is_drawn_compact(
    keyring: tokens.KeyRing, page: str, compact: bool
) -> None:
    classes = re.findall(
        r'<img [^>]*class="([^"]*)"', Rewriter(BASE, keyring=keyring, region="GB").rewrite(page)
    )
    assert classes and all(("glyphveil-compact" in c) == compact for c in classes)


COMPACT = 'class="glyphveil glyphveil-compact"'


def test_compact_is_chosen_by_the_setting_or_the_marker(keyring: tokens.KeyRing) -> None:
    sentence = "<p>Write to jane.doe@example.com today.</p>"
    alone = "<dd>jane.doe@example.com</dd>"
    for setting, expected in ((True, [True, True]), (False, [False, False])):
        rewriter = Rewriter(BASE, keyring=keyring, compact=setting)
        pages = [rewriter.rewrite(page) for page in (sentence, alone)]
        assert [COMPACT in page for page in pages] == expected
    rewriter = Rewriter(BASE, keyring=keyring)
    # A marker is compact when it says so: "£29<span>a month</span>" is no sentence.
    marked = "<p>It costs <span data-glyphveil data-glyphveil-alt=price>£40</span> an hour.</p>"
    expected = tokens.img_tag("£40", BASE, keyring=keyring, alt="price")
    assert rewriter.rewrite(marked) == marked.replace("£40", expected)
    marked = marked.replace("data-glyphveil ", "data-glyphveil data-glyphveil-compact ")
    expected = tokens.img_tag("£40", BASE, keyring=keyring, compact=True, alt="price")
    assert rewriter.rewrite(marked) == marked.replace("£40", expected)
    assert COMPACT in Rewriter(BASE, keyring=keyring, compact=True).rewrite(
        "<div data-glyphveil>£40</div>"
    )
    for word, compact in (("false", False), ("", True), ("on", True)):
        page = f"<p>It costs <span data-glyphveil data-glyphveil-compact='{word}'>£40</span>.</p>"
        assert (COMPACT in rewriter.rewrite(page)) == compact
    with pytest.raises(tokens.OptionError, match="line 1: data-glyphveil-compact must be"):
        rewriter.rewrite("<span data-glyphveil data-glyphveil-compact=maybe>£40</span>")
    with pytest.raises(tokens.OptionError, match="compact must be 'inline', True or False"):
        Rewriter(BASE, keyring=keyring, compact="sometimes")  # type: ignore[arg-type]


def test_everything_outside_the_replacements_is_byte_identical(
    rewriter: Rewriter, keyring: tokens.KeyRing
) -> None:
    page = (
        "<!DOCTYPE html>\r\n<html lang=en><HEAD><meta charset=utf-8>\r\n"
        "<title>Us &amp; them</title></HEAD>\r\n<body class='a'  data-x=\"1\">\r\n"
        "<p>Caf\u00e9 &copy 2024 &mdash; mail jane&#64;example.com&nbsp;now</p>\r\n"
        "<p>Odd <b>markup<i> left </b>open</i> and +44 20 7946 0958.<br/>\r\n</body>"
    )
    result = rewriter.rewrite(page)
    values = texts_of(result, keyring)
    assert values == ["jane@example.com", "+44 20 7946 0958"]
    # Take the images out of both: what is left is the page, to the byte.
    original = page.replace("jane&#64;example.com", "").replace("+44 20 7946 0958", "")
    assert outside_images(result) == original


@pytest.mark.parametrize(
    "written",
    [
        "jane&#64;example.com",
        "jan&#101;@example.com",
        "jane@&#101;xample.com",
        "&#106;&#97;&#110;&#101;&#64;&#101;&#120;&#97;&#109;&#112;&#108;&#101;&#46;&#99;&#111;&#109;",
        "jane&commat;example&period;com",
    ],
)
def test_addresses_written_with_character_references_are_found(
    rewriter: Rewriter, keyring: tokens.KeyRing, written: str
) -> None:
    result = rewriter.rewrite(f"<p>Mail {written} today</p>")
    assert texts_of(result, keyring) == ["jane@example.com"]
    assert result.startswith("<p>Mail <img ") and result.endswith("> today</p>")


def test_a_page_without_values_comes_back_as_the_same_object(rewriter: Rewriter) -> None:
    page = "<p>Version 3.11.7 of 2024-01-05, order 100234567 from 192.168.1.20.</p>" * 50
    assert rewriter.rewrite(page) is page
    data = page.encode()
    assert rewriter.rewrite(data) is data


@pytest.mark.parametrize(
    "text",
    [
        "version 3.11.7 and 1.2.3.4",
        "on 2024-01-05, 05/01/2024 and 12.03.2025 at 10:30:00",
        "order #100234567 and order 4003217766 and 2025550143",
        "IP 192.168.100.200 and 10.0.0.1 and ::1",
        "ISBN 978-3-16-148410-0, 1999-2024, 1920x1080 pixels",
        "logo@2x.png and icon@3x.webp, hero@1.5x.jpg",
        "follow @glyphveil and @jane_doe, or @app.route('/')",
        "git@github.com:owner/repo.git and ssh://git@example.com/repo",
        "a@b, x@localhost, name@v1.2.3, pkg@1.2.3",
        "the total is 1,234,567.89 and 10,000 images",
    ],
)
def test_no_false_positives_in_text_that_looks_like_values(rewriter: Rewriter, text: str) -> None:
    page = f"<p>{text}</p>"
    assert rewriter.rewrite(page) == page


def test_decorators_and_handles_in_code_are_left_even_when_code_is_rewritten(
    keyring: tokens.KeyRing,
) -> None:
    page = "<pre><code>@web.middleware\nasync def x(): ...\n# @jane: logo@2x.png</code></pre>"
    assert Rewriter(BASE, keyring=keyring, code=True).rewrite(page) == page


def test_values_in_code_are_left_by_default_and_reported(keyring: tokens.KeyRing) -> None:
    page = "<pre>mail jane@example.com</pre><p><code>+44 20 7946 0958</code></p>"
    result = Rewriter(BASE, region="GB", keyring=keyring).run(page)
    assert result.document == page
    assert [(f.kind, f.where) for f in result.left] == [("email", "<pre>"), ("phone", "<code>")]
    protected = Rewriter(BASE, region="GB", keyring=keyring, code=True).rewrite(page)
    assert texts_of(protected, keyring) == ["jane@example.com", "+44 20 7946 0958"]


def test_code_holding_nothing_to_replace_still_counts_where_its_text_is_read(
    rewriter: Rewriter, keyring: tokens.KeyRing
) -> None:
    """Inside a marked element its text is part of the value; inside a link its text is
    compared with the link's; and its start tag ends a ``<head>`` left open."""
    marked = rewriter.run("<p><span data-glyphveil>£<code>40</code></span></p>")
    assert [(f.kind, f.text) for f in marked.replaced] == [("marked", "£40")]
    assert texts_of(marked.document, keyring) == ["£40"]
    link = rewriter.run('<p><a href="tel:+442079460958"><code>7946 0958</code></a></p>')
    assert link.document == "<p><a><code>7946 0958</code></a></p>"
    assert [(f.kind, f.where, f.text) for f in link.left] == [("phone", "<code>", "7946 0958")]
    head = "<head></head><body><head><pre></pre><p>Write to jane@example.com today.</p>"
    assert texts_of(rewriter.rewrite(head), keyring) == ["jane@example.com"]


@pytest.mark.parametrize(
    "page",
    [
        "<script>var mail = 'jane@example.com';</script>",
        '<script type=application/ld+json>{"email": "jane@example.com"}</script>',
        "<style>/* jane@example.com */</style>",
        "<textarea>jane@example.com</textarea>",
        "<template><p>jane@example.com</p></template>",
        "<!-- jane@example.com -->",
        "<input value='jane@example.com' data-phone='+44 20 7946 0958'>",
        "<div data-glyphveil=off><p>jane@example.com</p></div>",
        "<head><link rel=x href='mailto:jane@example.com'></head>",
    ],
)
def test_nothing_changes_where_the_page_needs_the_text(rewriter: Rewriter, page: str) -> None:
    result = rewriter.run(page)
    assert result.document == page
    if "off" not in page:
        assert result.left, "a value left in place is reported"


def test_title_meta_and_readable_attributes_get_the_generic_description(
    rewriter: Rewriter,
) -> None:
    page = (
        "<head><title>Contact jane@example.com</title>"
        '<meta name="description" content="Call +44 20 7946 0958"></head>'
        "<body><img src=a.png alt='Photo: jane@example.com' title=\"jane@example.com\">"
        "<select><option>jane@example.com<option>Other</select>"
        "<svg><text>jane@example.com</text></svg></body>"
    )
    result = rewriter.run(page).document
    assert result == (
        "<head><title>Contact email address</title>"
        '<meta name="description" content="Call phone number"></head>'
        "<body><img src=a.png alt='Photo: email address' title=\"email address\">"
        "<select><option>email address<option>Other</select>"
        "<svg><text>email address</text></svg></body>"
    )


def test_a_mailto_link_keeps_its_text_and_loses_its_href(
    rewriter: Rewriter, keyring: tokens.KeyRing
) -> None:
    page = '<a class="c" href="mailto:jane@example.com?subject=Hi">Write to Jane</a>'
    result = rewriter.run(page)
    assert result.document == '<a class="c">Write to Jane</a>'
    assert result.changed and result.summary() == "1 email address"
    page = "<a href='mailto:jane%40example.com'>jane@example.com</a>"
    assert texts_of(rewriter.rewrite(page), keyring) == ["jane@example.com"]
    assert rewriter.rewrite(page).startswith("<a><img ")


@pytest.mark.parametrize(
    "href",
    ["mailto:?to=jane%40example.com&subject=Hi", "mailto:?subject=Hi&CC=jane@example.com"],
)
def test_a_mailto_link_with_the_address_in_its_query_loses_its_href(
    rewriter: Rewriter, href: str
) -> None:
    result = rewriter.run(f'<a href="{href}">Write to Jane</a>')
    assert result.document == "<a>Write to Jane</a>"
    assert result.summary() == "1 email address"


def test_a_tel_link_shows_its_number_as_an_image(
    keyring: tokens.KeyRing,
) -> None:
    rewriter = Rewriter(BASE, region="US", keyring=keyring)  # 020… is not a US number
    page = (
        '<a href="tel:+442079460958">020 7946 0958</a> or <a href="tel:+44 20 7946 0958">Call</a>'
    )
    result = rewriter.rewrite(page)
    assert texts_of(result, keyring) == ["020 7946 0958"]
    assert "tel:" not in result and result.endswith("or <a>Call</a>")


def test_with_reveal_links_become_reveals(keyring: tokens.KeyRing) -> None:
    rewriter = Rewriter(BASE, keyring=keyring, reveal=True)
    page = '<p><a href="mailto:jane@example.com">Write to Jane</a>.</p>'
    result = rewriter.rewrite(page)
    assert result.startswith('<p><a>Write to Jane</a> <span class="glyphveil-reveal" ')
    assert result.endswith("></span>.</p>")
    token = re.search(r'data-glyphveil-token="([^"]+)"', result)
    assert token is not None
    payload = tokens.decode(token.group(1), keyring=keyring)
    assert payload.text == "jane@example.com" and payload.revealable


def test_a_marked_element_becomes_one_image_with_its_options(
    rewriter: Rewriter, keyring: tokens.KeyRing
) -> None:
    page = (
        '<td class=price><span data-glyphveil data-glyphveil-font="mono" data-glyphveil-size=18 '
        'data-glyphveil-noise=low data-glyphveil-alt="price">'
        "\n  £1,299<small>.00</small> </span></td>"
    )
    result = rewriter.rewrite(page)
    expected = tokens.img_tag(
        "£1,299.00", BASE, keyring=keyring, font="mono", size=18, noise="low", alt="price"
    )
    head = page.split(">", 2)
    assert result == f"{head[0]}>{head[1]}>{expected}</span></td>"


def test_a_bad_marker_option_is_an_error_naming_the_line(rewriter: Rewriter) -> None:
    with pytest.raises(tokens.OptionError, match="line 2: unknown attribute data-glyphveil-colour"):
        rewriter.rewrite("<p>\n<span data-glyphveil data-glyphveil-colour=red>1</span></p>")
    with pytest.raises(tokens.OptionError, match=r"line 1: .*size"):
        rewriter.rewrite("<span data-glyphveil data-glyphveil-size=big>1</span>")


def test_rewriting_twice_changes_nothing_more(keyring: tokens.KeyRing) -> None:
    page = (
        "<title>jane@example.com</title><p title='jane@example.com'>jane@example.com, "
        "+44 20 7946 0958 <a href='mailto:a@example.org'>Mail</a> "
        "<span data-glyphveil>£9</span></p>"
    )
    for reveal in (False, True):
        rewriter = Rewriter(BASE, region="GB", keyring=keyring, reveal=reveal)
        once = rewriter.rewrite(page)
        assert once != page
        assert rewriter.rewrite(once) == once


def test_the_helpers_own_picture_markup_is_left_as_it_is(keyring: tokens.KeyRing) -> None:
    """A page whose templates already call the helper (narrow and dark sources, compact,
    reveal) goes through unchanged: its markup holds no value to find."""
    rewriter = Rewriter(BASE, region="GB", keyring=keyring)
    value = "jane.doe.longer.name@example-company.co.uk"
    pieces = [
        tokens.img_tag(value, BASE, keyring=keyring, dark=True),
        tokens.img_tag("+44 20 7946 0958", BASE, keyring=keyring, compact=True),
        tokens.img_tag(value, BASE, keyring=keyring, reveal=True),
    ]
    assert "<picture><source" in pieces[0]
    page = "<p>" + " and ".join(pieces) + "</p>"
    assert rewriter.run(page).replaced == ()
    assert rewriter.rewrite(page) == page


def test_one_token_per_distinct_value_per_page(rewriter: Rewriter, keyring: tokens.KeyRing) -> None:
    page = "<p>jane@example.com</p><p>jane@example.com</p><p>bob@example.com</p>"
    found = images(rewriter.rewrite(page))
    assert len(found) == 3 and found[0] == found[1] != found[2]


def test_kinds_take_their_own_options(keyring: tokens.KeyRing) -> None:
    rewriter = Rewriter(
        BASE, region="GB", keyring=keyring, noise="low", phone_options={"font": "mono"}
    )
    result = rewriter.rewrite("<p>jane@example.com +44 20 7946 0958</p>")
    found = re.findall(r"/t/([A-Za-z0-9_-]+)\.png", result)
    email, phone = (tokens.decode(token, keyring=keyring) for token in found)
    assert (email.options.font, email.options.noise) == ("sans", tokens.Noise.LOW)
    assert (phone.options.font, phone.options.noise) == ("mono", tokens.Noise.LOW)


def test_bytes_keep_their_charset(rewriter: Rewriter, keyring: tokens.KeyRing) -> None:
    page = '<meta charset="iso-8859-1"><p>Caf\u00e9: jane@example.com</p>'.encode("latin-1")
    assert sniff_charset(page) == "iso8859-1"
    result = rewriter.rewrite(page)
    assert isinstance(result, bytes)
    assert result.startswith(b'<meta charset="iso-8859-1"><p>Caf\xe9: <img ')
    assert texts_of(result.decode("latin-1"), keyring) == ["jane@example.com"]
    assert sniff_charset(b"<p>plain</p>") == "utf-8"


def test_phone_numbers_need_a_region_or_a_country_code(keyring: tokens.KeyRing) -> None:
    page = "<p>020 7946 0958 or +44 20 7946 0958</p>"
    without = Rewriter(BASE, keyring=keyring).rewrite(page)
    assert texts_of(without, keyring) == ["+44 20 7946 0958"]
    with_region = Rewriter(BASE, region="gb", keyring=keyring).rewrite(page)
    assert texts_of(with_region, keyring) == ["020 7946 0958", "+44 20 7946 0958"]


def test_possible_leniency_takes_fictional_numbers(keyring: tokens.KeyRing) -> None:
    page = "<p>(555) 010-0199</p>"
    assert Rewriter(BASE, region="US", keyring=keyring).rewrite(page) == page
    possible = Rewriter(BASE, region="US", keyring=keyring, phone_leniency="possible")
    assert texts_of(possible.rewrite(page), keyring) == ["(555) 010-0199"]


def test_searches_can_be_turned_off(keyring: tokens.KeyRing) -> None:
    page = "<p>jane@example.com +44 20 7946 0958</p>"
    only_phones = Rewriter(BASE, keyring=keyring, emails=False).rewrite(page)
    assert texts_of(only_phones, keyring) == ["+44 20 7946 0958"]
    assert Rewriter(BASE, keyring=keyring, emails=False, phones=False).rewrite(page) == page


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"region": "XX"}, "unknown phone region 'XX'"),
        ({"phone_leniency": "loose"}, "phone_leniency must be"),
        ({"code": "yes"}, "code must be True or False"),
        ({"colour": "red"}, "unknown option 'colour'"),
        ({"phone_options": {"size": 1000}}, "size"),
        ({"densities": (1, 7)}, "densit"),
    ],
)
def test_bad_settings_are_refused_at_once(settings: dict[str, object], message: str) -> None:
    with pytest.raises(tokens.OptionError, match=message):
        Rewriter(BASE, **settings)  # type: ignore[arg-type]


def test_the_report_names_kinds_and_places_never_values(rewriter: Rewriter) -> None:
    result = rewriter.run(
        "<p>jane@example.com, bob@example.com, +44 20 7946 0958</p><script>'x@example.com'</script>"
    )
    assert result.summary() == "2 email addresses, 1 phone number; 1 left in <script>"
    assert "example" not in repr(result.replaced) + repr(result.left)


def test_the_shortcut_function(keyring: tokens.KeyRing) -> None:
    result = rewrite("<p>jane@example.com</p>", BASE, keyring=keyring)
    assert texts_of(result, keyring) == ["jane@example.com"]


def test_import_tokens_needs_neither_turbohtml_nor_phonenumbers(tmp_path: Path) -> None:
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in {'turbohtml', 'phonenumbers'}:\n"
        "            raise ImportError(name + ' is blocked')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import tokens, tokens.cli\n"
        "ring = tokens.KeyRing([tokens.generate_key()])\n"
        "print(tokens.img_tag('a@example.com', '', keyring=ring)[:4])\n"
        "import tokens.rewrite\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", blocker],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.stdout == "<img\n"
    needs = "tokens.rewrite needs turbohtml and phonenumbers: pip install 'turbohtml>=1.15' "
    assert needs + "'phonenumbers>=8.13'" in result.stderr


FRAGMENTS = [
    "<p>",
    "</p>",
    "<b class='x'>",
    "</b>",
    '<div data-x="1 2">',
    "</div>",
    "text &amp; more &copy 2024",
    "\r\n",
    "\n",
    "<!-- note -->",
    "<script>if (a<b) { x = '</p>'; }</script>",
    "<pre>@web.middleware\n</pre>",
    "version 1.2.3 of 2024-01-05",
    "logo@2x.png",
    "<br/>",
    "caf\u00e9 \u00a0",
]
VALUES = {
    " jane.doe@example.com ": "jane.doe@example.com",
    " +44 20 7946 0958 ": "+44 20 7946 0958",
}


@given(st.lists(st.sampled_from([*FRAGMENTS, *VALUES]), max_size=30))
@settings(max_examples=150, deadline=None)
def test_byte_identical_outside_the_values_and_idempotent(
    shared_keyring: tokens.KeyRing, parts: list[str]
) -> None:
    rewriter = Rewriter(BASE, keyring=shared_keyring)
    page = "".join(parts)
    result = rewriter.rewrite(page)
    expected = [VALUES[part] for part in parts if part in VALUES]
    assert texts_of(result, shared_keyring) == expected
    without = "".join(part.replace(VALUES[part], "") if part in VALUES else part for part in parts)
    assert outside_images(result) == without
    assert rewriter.rewrite(result) == result


@given(
    st.text(
        alphabet=st.sampled_from("<>/=\"' &#;@.-+():0123456789aeilmoprtx\r\n\x00é"),
        max_size=300,
    )
)
@settings(max_examples=300, deadline=None)
def test_any_text_rewrites_without_error_and_twice_is_once(
    shared_keyring: tokens.KeyRing, page: str
) -> None:
    rewriter = Rewriter(BASE, region="GB", keyring=shared_keyring)
    once = rewriter.rewrite(page)
    assert rewriter.rewrite(once) == once


@given(
    st.text(
        alphabet=st.sampled_from(
            "0123456789 ().-/x#\n\u00a0\u202f\u2009\u2010\u2015\u2016\u00e0\u00c2\u3000\u30a2"
            "\U0001f600\udc80\u0660"
        ),
        max_size=60,
    )
)
@settings(max_examples=500, deadline=None)
def test_runs_of_digits_found_in_the_bytes_are_those_of_the_expression(page: str) -> None:
    """The scan over the page's Latin-1 or UTF-8 bytes finds what the expression finds in
    its text, at the same character offsets, after wide characters and lone surrogates."""
    expected = [(match.start(), match.group()) for match in _DIGIT_RUN.finditer(page)]
    assert _digit_runs(page) == expected


@pytest.mark.parametrize(
    "before", ["", "caf\u00e9 \u00b7 ", "\u2019Call\u2019 \U0001f600 ", "\udc80"]
)
def test_a_number_after_wide_characters_is_replaced_where_it_is(
    rewriter: Rewriter, keyring: tokens.KeyRing, before: str
) -> None:
    page = f"<p>{before}Call 020\u00a07946\u00a00958 or 020\u20127946\u20120959.</p>"
    result = rewriter.rewrite(page)
    assert texts_of(result, keyring) == ["020\u00a07946\u00a00958", "020\u20127946\u20120959"]
    assert outside_images(result) == f"<p>{before}Call  or .</p>"


#: ``_PHONE_RUN`` as first written: optional ``+`` and ``(``, then the run.
PLAIN_PHONE_RUN = re.compile(
    rf"\+?\(?[0-9]{_SEPARATOR}{{5,}}[0-9](?:\s*(?:ext\.?|x|#)\s*[0-9]{{1,6}})?", re.IGNORECASE
)
SEPARATORS = [*"07 ().-/\u00a0\u2012", "&nbsp;", "&NBSP;", "&#160;", "&#xA0;", "&#X00a0;"]
RUNS = st.tuples(
    st.sampled_from(["", "+", "(", "+(", "((", "a", "&"]),
    st.lists(st.sampled_from(SEPARATORS), min_size=3, max_size=10),
    st.sampled_from(["", " ext. 12", " x 3", "#4", "\t X 1234567", "\u017f", ";"]),
).map(lambda run: f"{run[0]}1{''.join(run[1])}9{run[2]}")


@given(st.lists(st.one_of(RUNS, st.sampled_from(["", " ", "a", ";", "+", "(", "5"])), max_size=6))
@settings(max_examples=500, deadline=None)
def test_runs_with_references_are_those_of_the_plain_expression(parts: list[str]) -> None:
    """The expression that starts with a class finds what the plain one finds."""
    page = "".join(parts)
    expected = [(match.start(), match.group()) for match in PLAIN_PHONE_RUN.finditer(page)]
    assert [(match.start(), match.group()) for match in _PHONE_RUN.finditer(page)] == expected
