"""Translated strings the browser bundle shows, handed to it as JSON by the page."""

from flask_babel import gettext as _


def js_messages() -> dict[str, str]:
    return {
        "saved": _("Saved"),
        "saving": _("Saving…"),
        "unsaved": _("Unsaved changes"),
        "neverPublished": _("Never published"),
        "publishedV": _("Published v%(n)s"),
        "draftDiffers": _("draft has unpublished changes"),
        "draftMatches": _("draft is published"),
        "lineCol": _("Ln %(line)s, Col %(col)s"),
        "noScripts": _("No scripts yet."),
        "leaveWarning": _("You have unsaved changes. Leave anyway?"),
        "conflictTitle": _("Someone else saved this draft"),
        "conflictBody": _(
            "The draft was changed by %(who)s at %(when)s after you opened it. "
            "Choose which version to keep."
        ),
        "reloadTheirs": _("Reload theirs"),
        "keepMine": _("Keep mine"),
        "showDiff": _("Show diff"),
        "theirs": _("Theirs (saved)"),
        "mine": _("Mine (editor)"),
        "publishTitle": _("Publish %(id)s"),
        "publishIntro": _("These changes become version %(n)s:"),
        "publishNothing": _("The draft is identical to published v%(n)s."),
        "publishNote": _("Release note"),
        "publishNotePlaceholder": _("What changed and why (optional)"),
        "publish": _("Publish"),
        "publishing": _("Publishing…"),
        "publishedOk": _("Published version %(n)s."),
        "cancel": _("Cancel"),
        "close": _("Close"),
        "history": _("History"),
        "noRevisions": _("Not published yet. Publish to create version 1."),
        "restore": _("Restore"),
        "restoreConfirm": _("Replace the draft with version %(n)s? Unsaved edits are lost."),
        "restoredOk": _("Version %(n)s restored into the draft."),
        "diffVsDraft": _("Diff vs draft"),
        "view": _("View"),
        "compare": _("Compare"),
        "from": _("From"),
        "to": _("To"),
        "draft": _("Draft"),
        "sideBySide": _("Side by side"),
        "inline": _("Inline"),
        "noDifferences": _("No differences."),
        "diffTitle": _("%(from)s → %(to)s"),
        "newScript": _("New script"),
        "scriptId": _("Script id"),
        "scriptIdHelp": _("Lowercase letters, digits and _; used in function ids like id.func."),
        "title": _("Title"),
        "description": _("Description"),
        "create": _("Create"),
        "save": _("Save"),
        "settings": _("Script settings"),
        "delete": _("Delete"),
        "deleteTitle": _("Delete %(id)s?"),
        "deleteBody": _(
            "This deletes the script, its draft and all %(n)s published versions. "
            "Type the script id to confirm."
        ),
        "deleted": _("Script %(id)s deleted."),
        "by": _("by %(who)s"),
        "welcomeTitle": _("Welcome to Funcpad"),
        "welcomeBody": _(
            "Pick a script on the left or create one. Write Python, save with Ctrl+S, "
            "publish when it works."
        ),
        "themeDark": _("Dark theme"),
        "themeLight": _("Light theme"),
        "loadFailed": _("Could not load: %(msg)s"),
        "networkError": _("Network error: %(msg)s"),
        "syntaxErrorAt": _("Line %(line)s, column %(col)s: %(msg)s"),
        "unpublishedMarker": _("Unpublished changes"),
        "filterScripts": _("Filter scripts"),
        "justNow": _("just now"),
    }
