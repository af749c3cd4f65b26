"""The style keys of syntax highlighting, shared by the lexing core and the window's theme (ui/theme.py holds
their colours); kept here, without Pygments or Qt, so core can name them."""

# The style keys a theme gives a colour to; indices into this tuple travel in compact arrays.
STYLE_KEYS = (
    "keyword",
    "string",
    "number",
    "key",
    "tag",
    "attribute",
    "name",
    "builtin",
    "comment",
    "operator",
    "error",
    "heading",
)
