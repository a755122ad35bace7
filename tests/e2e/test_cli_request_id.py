"""The CLI's idempotency key and bounds: `gcu-review --request-id KEY` makes a retried action once;
a reason past its bound or a due date out of range is refused before anything is sent (exit 2)."""

from tests.e2e.test_cli_lifecycle import product_copy, run, system  # noqa: F401  (system: pytest fixture)


async def test_a_retried_cli_action_is_made_once_and_bad_input_is_refused_before_sending(system):  # noqa: F811
    cli, tmp = system
    path, pid = product_copy(tmp, "S1-IP-heron.md")
    await run(cli.json, "submit", str(path), "--as", "HE-01")
    await run(cli.ok, "claim", pid, "--as", "GX-02")
    for _ in range(2):  # the operator's first run timed out; they run it again with the same key
        await run(
            cli.json,
            "--request-id",
            "ops-2026-12-03-1",
            "comment",
            pid,
            "--text",
            "Interpreter briefed?",
            "--as",
            "GX-02",
        )
    history = await run(cli.json, "history", pid)
    assert [h["action"] for h in history].count("comment") == 1

    too_long = await run(cli, "withdraw", pid, "--reason", "x" * 4001, "--as", "HE-01")
    assert too_long.returncode == 2 and "the reason is too long: at most 4000 characters (got 4001)" in too_long.stderr
    far = await run(cli, "move-due", pid, "9999-12-31T00:00:00+00:00", "--reason", "sabbatical", "--as", "GX-09")
    assert far.returncode == 2 and "between 2000 and 2099" in far.stderr
    assert [h["action"] for h in await run(cli.json, "history", pid)] == [h["action"] for h in history]
