"""Slack's Block Kit limits, checked on every payload golive posts or publishes.

Numbers from Slack's Block Kit reference as encoded in slack_sdk's validators
(``slack_sdk/models/blocks``): 50 blocks per message, 100 per modal or Home view, section text
3000, 10 fields, 25 elements per actions block, 10 per context block, header 150, button text
75, url 3000, value 2000, ids 255, option text 75 and value 150, 100 options, modal title,
submit and close 24, private_metadata 3000, message text 40,000.
"""

from __future__ import annotations

from typing import Any


def _text(item: Any) -> str:
    return item.get("text", "") if isinstance(item, dict) else ""


def _check_element(el: dict[str, Any], where: str, problems: list[str]) -> None:
    if len(el.get("action_id", "")) > 255:
        problems.append(f"{where}: action_id over 255")
    if el.get("type") == "button":
        if len(_text(el.get("text"))) > 75:
            problems.append(f"{where}: button text over 75")
        if len(el.get("url", "")) > 3000:
            problems.append(f"{where}: button url over 3000")
        if len(el.get("value", "")) > 2000:
            problems.append(f"{where}: button value over 2000")
    options = el.get("options") or []
    if len(options) > 100:
        problems.append(f"{where}: over 100 options")
    if el.get("type") == "checkboxes" and len(options) > 10:
        problems.append(f"{where}: over 10 checkboxes")
    for option in options:
        if len(_text(option.get("text"))) > 75 or len(option.get("value", "")) > 150:
            problems.append(f"{where}: option text/value too long")


def check_blocks(blocks: list[dict[str, Any]], max_blocks: int) -> list[str]:
    problems: list[str] = []
    if len(blocks) > max_blocks:
        problems.append(f"{len(blocks)} blocks, at most {max_blocks}")
    for i, block in enumerate(blocks):
        where = f"block {i} ({block.get('type')})"
        if len(block.get("block_id", "")) > 255:
            problems.append(f"{where}: block_id over 255")
        kind = block.get("type")
        if kind == "section":
            if len(_text(block.get("text"))) > 3000:
                problems.append(f"{where}: text over 3000")
            if len(block.get("fields") or []) > 10:
                problems.append(f"{where}: over 10 fields")
            if block.get("accessory"):
                _check_element(block["accessory"], where, problems)
        elif kind == "header" and len(_text(block.get("text"))) > 150:
            problems.append(f"{where}: header over 150")
        elif kind == "actions":
            if len(block.get("elements") or []) > 25:
                problems.append(f"{where}: over 25 elements")
            for el in block.get("elements") or []:
                _check_element(el, where, problems)
        elif kind == "context" and len(block.get("elements") or []) > 10:
            problems.append(f"{where}: over 10 elements")
        elif kind == "input":
            _check_element(block.get("element") or {}, where, problems)
            if len(_text(block.get("label"))) > 2000:
                problems.append(f"{where}: label over 2000")
    return problems


def check_message(args: dict[str, Any]) -> list[str]:
    problems = check_blocks(list(args.get("blocks") or []), 50)
    if len(args.get("text") or "") > 40000:
        problems.append("text over 40000")
    return problems


def check_view(view: dict[str, Any]) -> list[str]:
    problems = check_blocks(list(view.get("blocks") or []), 100)
    for key in ("title", "submit", "close"):
        if len(_text(view.get(key))) > 24:
            problems.append(f"view {key} over 24")
    if len(view.get("private_metadata") or "") > 3000:
        problems.append("private_metadata over 3000")
    return problems
