"""The playground page in a real browser: what a newcomer, a member and a manager do first.

Each test plays people of the demo team (or a newcomer) through the page only: typing, tapping
buttons and links, downloading, exactly as a person would in Telegram, and checks what the page
shows. A screenshot of each step is written to the `screenshots` folder.
"""

from __future__ import annotations

import re
import time

import openpyxl
import pytest

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

INVITE_LINK = re.compile(r"https://t\.me/\w+\?start=[A-Za-z0-9_-]+")
DEMO_ANSWER = "Grace remembers everyone"


# --- what a person does on the page --------------------------------------------------------------


def open_page(page, playground) -> None:
    page.goto(playground.url)
    expect(page.locator("#person option").first).to_be_attached()
    expect(page.locator("#chat-title")).not_to_be_empty()


def play_as(page, name: str) -> None:
    option = page.locator("#person option", has_text=name).first
    page.select_option("#person", value=option.get_attribute("value"))
    expect(page.locator("#person option:checked")).to_contain_text(name)


def open_chat(page, title: str) -> None:
    page.locator(".chat-tab", has_text=title).click()
    expect(page.locator("#chat-title")).to_have_text(title)


def open_bot_chat(page) -> None:
    page.locator(".chat-tab").first.click()
    expect(page.locator("#chat-subtitle")).to_contain_text("bot")


def send(page, text: str) -> None:
    page.fill("#input", text)
    page.press("#input", "Enter")


def bot_messages(page, contains: str | None = None):
    messages = page.locator(".bubble.from-bot")
    return messages.filter(has_text=contains) if contains else messages


def scroll_to(bubble) -> None:
    """Bring a message into view. One call in the page: the chat re-renders as messages arrive
    (a chart after its text), which can detach the element between Playwright's own steps."""
    bubble.evaluate("bubble => bubble.scrollIntoView({block: 'nearest'})")


def shot(page, screenshots, name: str) -> None:
    page.screenshot(path=str(screenshots / f"{name}.png"))


def assert_nothing_refused(page) -> None:
    expect(page.locator(".refusal")).to_have_count(0)


# --- the tests -----------------------------------------------------------------------------------


def test_the_page_opens_on_the_demo_team(page, playground, screenshots, request):
    open_page(page, playground)
    expect(page.locator("#person option", has_text="Maya (manager)")).to_be_attached()
    expect(page.locator("#person option")).to_have_count(8)
    expect(page.locator(".chat-tab", has_text="Corner Café team")).to_be_visible()
    seconds = time.monotonic() - playground.started
    # Reported, not asserted: a timing on a shared machine says little in a test.
    (screenshots / "time-to-demo-team.txt").write_text(f"{seconds:.1f} s\n")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"playground: command to demo team on the page in {seconds:.1f} s")
    shot(page, screenshots, "01-demo-team")


def test_newcomer_joins_by_the_invite_link_and_answers(page, playground, screenshots):
    open_page(page, playground)
    play_as(page, "Maya")
    open_bot_chat(page)
    send(page, "/invite")
    invite = bot_messages(page, "t.me/").last
    expect(invite).to_be_visible()
    link = INVITE_LINK.search(invite.inner_text()).group(0)
    shot(page, screenshots, "02-manager-invite")

    # Maya shares the link in the team's group, as managers do.
    open_chat(page, "Corner Café team")
    send(page, f"Welcome Zoe! Join here: {link}")
    expect(page.locator(".row.out a.link", has_text="t.me")).to_be_visible()

    # Zoe is added to the page (and to the group), and taps the link there.
    page.click("#add-person")
    page.fill("#new-name", "Zoe")
    page.select_option("#new-language", "en")
    page.click("#add-confirm")
    expect(page.locator("#person option:checked")).to_contain_text("Zoe")
    open_chat(page, "Corner Café team")
    page.locator(".row.in a.link", has_text="t.me").last.click()
    welcome = bot_messages(page, "Welcome to").last
    expect(welcome).to_contain_text("Corner Café")
    expect(bot_messages(page, "0/23 done").last).to_be_visible()
    shot(page, screenshots, "03-newcomer-welcome")

    for number, answer in enumerate(
        (
            "We ask regulars what they miss.\nThe till report shows the rest.",
            "Mostly by listening at the counter.",
            "Vegan cakes since spring.",
        ),
        start=1,
    ):
        saved = bot_messages(page, "Saved")
        before = saved.count()
        send(page, answer)
        expect(saved).to_have_count(before + 1)
        saved.last.locator("..").locator(".inline-button", has_text="Aligned approaches").click()
        expect(bot_messages(page, f"{number}/23 done").last).to_be_visible()
    expect(page.locator(".row.out .text").filter(has_text="The till report")).to_have_count(1)
    shot(page, screenshots, "04-three-answers-progress")
    assert_nothing_refused(page)


def test_manager_digest_shows_the_heatmap(page, playground, screenshots):
    open_page(page, playground)
    play_as(page, "Maya")
    open_bot_chat(page)
    photos = page.locator(".bubble.from-bot img.photo")
    before = photos.count()
    send(page, "/digest")
    expect(bot_messages(page, "Weekly digest").last).to_contain_text("Corner Café")
    expect(photos).to_have_count(before + 1)
    heatmap = photos.last
    scroll_to(heatmap)
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=heatmap.element_handle()
    )
    assert heatmap.evaluate("img => img.naturalWidth") > 100
    shot(page, screenshots, "05-digest-heatmap")
    assert_nothing_refused(page)


def test_export_downloads_a_spreadsheet_with_the_answers(page, playground, screenshots, tmp_path):
    open_page(page, playground)
    play_as(page, "Maya")
    open_bot_chat(page)
    send(page, "/export")
    choice = bot_messages(page, "Which round").last
    expect(choice).to_be_visible()
    choice.locator("..").locator(".inline-button", has_text="Winter 2026").click()
    spreadsheet = page.locator(".bubble.from-bot a.document", has_text=".xlsx").last
    expect(spreadsheet).to_be_visible(timeout=30_000)
    shot(page, screenshots, "06-export-files")
    with page.expect_download() as download_info:
        spreadsheet.click()
    path = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(path)
    assert path.suffix == ".xlsx"
    workbook = openpyxl.load_workbook(path, read_only=True)
    cells = [
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    assert any(DEMO_ANSWER in cell for cell in cells)
    assert any("Farid" in cell for cell in cells)
    assert_nothing_refused(page)


def test_group_compare_shows_two_peoples_answers(page, playground, screenshots):
    open_page(page, playground)
    play_as(page, "Ben")
    open_chat(page, "Corner Café team")
    send(page, "/compare")
    comparison = bot_messages(page, "question 1 of").last
    expect(comparison).to_contain_text("Maya")
    expect(comparison).to_contain_text("Grace")
    expect(comparison).to_contain_text("Regulars tell me this all the time.")
    shot(page, screenshots, "07-group-compare")
    comparison.locator("..").locator(".inline-button", has_text="Next ➡️").click()
    expect(bot_messages(page, "question 2 of")).to_have_count(1)  # edited in place
    shot(page, screenshots, "08-group-compare-edited")
    assert_nothing_refused(page)


def test_typed_html_shows_exactly_as_typed(page, playground, screenshots):
    typed = "Tom & Jerry's <b>café</b>\nsays 5 < 6 & <i>that</i> is all"
    open_page(page, playground)
    play_as(page, "Farid")
    open_bot_chat(page)
    send(page, "/next")  # Farid answered 3 questions before the page opened: on to the 4th
    expect(bot_messages(page, "3/23 done").last).to_be_visible()
    saved = bot_messages(page, "Saved")
    before = saved.count()
    send(page, typed)
    mine = page.locator(".row.out .text").last
    expect(mine).to_have_text(typed)
    assert mine.locator("b, i").count() == 0
    expect(saved).to_have_count(before + 1)
    shot(page, screenshots, "09-typed-html")
    assert_nothing_refused(page)


def test_group_votes_in_a_consensus_poll_and_replies_with_notes(page, playground, screenshots):
    open_page(page, playground)
    play_as(page, "Maya")
    open_chat(page, "Corner Café team")
    send(page, "/consensus 3")
    poll = page.locator(".bubble.from-bot .poll").last
    expect(poll).to_be_visible()
    poll.locator(".poll-option", has_text="Aligned approaches").click()
    expect(poll.locator(".poll-option.chosen")).to_contain_text("Aligned approaches")
    expect(poll).to_contain_text("1 vote")
    shot(page, screenshots, "10-consensus-poll")

    poll.locator("xpath=../..").locator(".inline-button", has_text="Close the vote").click()
    prompt = bot_messages(page, "strengths").last
    expect(prompt).to_contain_text("Agreed for Customer segmentation")
    prompt.locator(".reply").click()
    expect(page.locator("#replying")).to_contain_text("Reply to")
    send(page, "Everyone knows who comes when.")
    expect(bot_messages(page, "Noted as a strength").last).to_be_visible()
    expect(page.locator(".row.out .reply-to").last).to_contain_text("Agreed for")
    shot(page, screenshots, "11-consensus-strength-noted")
    assert_nothing_refused(page)


def test_editing_a_sent_answer_updates_it(page, playground, screenshots):
    open_page(page, playground)
    play_as(page, "Chloé")
    open_bot_chat(page)
    send(page, "/next")  # Chloé answered 14 questions before the page opened
    expect(bot_messages(page, "14/23 done").last).to_be_visible()
    send(page, "We ask at the till, sometimes.")
    expect(bot_messages(page, "Saved").last).to_be_visible()
    page.locator(".row.out", has_text="We ask at the till").locator(".edit").click()
    expect(page.locator("#editing")).to_be_visible()
    send(page, "We ask every customer at the till.")
    expect(bot_messages(page, "Updated your answer").last).to_contain_text(
        "We ask every customer at the till."
    )
    mine = page.locator(".row.out", has_text="We ask every customer")
    expect(mine.locator(".meta")).to_contain_text("edited")
    shot(page, screenshots, "12-answer-edited")
    assert_nothing_refused(page)


def test_blocking_the_bot_hides_the_message_box_until_unblocked(page, playground, screenshots):
    open_page(page, playground)
    play_as(page, "Lucía")
    open_bot_chat(page)
    page.click("#block")
    expect(page.locator("#unblock-bar")).to_be_visible()
    expect(page.locator("#composer")).to_be_hidden()
    shot(page, screenshots, "13-bot-blocked")
    page.click("#unblock")
    expect(page.locator("#composer")).to_be_visible()
    send(page, "/start")
    expect(bot_messages(page).last).to_be_visible()
    assert_nothing_refused(page)


def test_a_voice_note_and_a_photo_are_kept_with_the_answer(page, playground, screenshots):
    open_page(page, playground)
    play_as(page, "Dmitri")
    open_bot_chat(page)
    send(page, "/next")  # Dmitri answered 9 questions before the page opened
    expect(bot_messages(page, "9/23").last).to_be_visible()  # in Russian: his app language
    kept = bot_messages(page, "📎")
    page.click("#voice")
    expect(page.locator(".row.out .voice")).to_have_count(1)
    expect(kept).to_have_count(1)
    page.click("#attach")
    with page.expect_file_chooser() as chooser:
        page.click("#attach-menu [data-kind=photo]")
    chooser.value.set_files(_photo(screenshots))
    expect(page.locator(".row.out img.photo")).to_have_count(1)
    expect(kept).to_have_count(2)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.row.out img.photo')].every(i => i.naturalWidth > 0)"
    )
    shot(page, screenshots, "14-voice-and-photo")
    assert_nothing_refused(page)


def _photo(folder):
    from bot.playground.botapi import make_png

    path = folder / "whiteboard.png"
    path.write_bytes(make_png(64, 48, (40, 120, 200)))
    return str(path)


def test_newcomer_joins_from_the_group_join_button(page, playground, screenshots):
    open_page(page, playground)
    page.click("#add-person")
    page.fill("#new-name", "Yusuf")
    page.select_option("#new-language", "es")
    page.click("#add-confirm")
    expect(page.locator("#person option:checked")).to_contain_text("Yusuf")
    open_chat(page, "Corner Café team")
    send(page, "/join")
    join = bot_messages(page).last.locator("..").locator(".inline-button", has_text="Corner Café")
    expect(join).to_be_visible()
    join.click()
    # Telegram opens the bot's chat and sends /start <token>; Yusuf's app speaks Spanish.
    expect(page.locator("#chat-subtitle")).to_contain_text("bot")
    expect(bot_messages(page, "Corner Café").last).to_contain_text("0/23")
    shot(page, screenshots, "15-joined-from-group-in-spanish")
    assert_nothing_refused(page)


def test_scores_gap_and_the_second_team_on_the_other_framework(page, playground, screenshots):
    open_page(page, playground)
    play_as(page, "Maya")
    open_chat(page, "Corner Café team")
    send(page, "/scores")
    reveal = bot_messages(page, "the widest spread first").last
    expect(reveal).to_be_visible()
    # Segmentation splits the team (10 to 45), so it comes before every other area.
    text = reveal.inner_text()
    assert text.index("Customer segmentation") < text.index("Complaint management")
    assert text.index("Customer segmentation") < text.index("Product offering")
    expect(reveal).to_contain_text("spread 35")
    expect(reveal).to_contain_text(re.compile(r"Agreed: 40\s%"))
    reveal.evaluate("bubble => bubble.scrollIntoView({block: 'start'})")  # the widest first
    shot(page, screenshots, "16-group-scores-by-spread")

    send(page, "/gap")
    gap = bot_messages(page, "How managers and members score").last
    expect(gap).to_be_visible()
    expect(gap).to_contain_text(re.compile(r"members 30\s%"))
    expect(gap).to_contain_text(re.compile(r"managers 57.5\s%"))
    expect(gap).not_to_contain_text("need to score it")
    scroll_to(gap)
    shot(page, screenshots, "17-group-gap-both-sides")

    open_bot_chat(page)
    send(page, "/teams")
    teams = bot_messages(page, "Your teams").last
    expect(teams).to_contain_text("Corner Café business")
    teams.locator("..").locator(".inline-button", has_text="Corner Café business").click()
    expect(bot_messages(page, "You answer for Corner Café business now").last).to_be_visible()
    shot(page, screenshots, "18-teams-switch-to-second-team")
    send(page, "/pack")
    pack = bot_messages(page, "answers").last
    expect(pack).to_contain_text("Whole-organisation self-assessment")
    expect(bot_messages(page, "Frameworks you can use").last).to_contain_text(
        "baldrige-customer-management"
    )
    shot(page, screenshots, "19-pack-of-the-second-team")
    # Back to the café, as the other tests expect Maya to answer for it.
    send(page, "/teams")
    teams = bot_messages(page, "Your teams").last
    teams.locator("..").locator(".inline-button", has_text=re.compile(r"^Corner Café$")).click()
    expect(bot_messages(page, "You answer for Corner Café now").last).to_be_visible()
    assert_nothing_refused(page)
