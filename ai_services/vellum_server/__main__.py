"""Entry point: ``python -m ai_services.vellum_server --port PORT --state-dir DIR``."""

from __future__ import annotations

import sys

from ai_services.vellum_server.cli import build_parser, run


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Run the Vellum-compatible server in the foreground.

    Args:
        argv: Command-line arguments without the program name, or None to
            read ``sys.argv``.
        prog: Program name shown in usage and errors.

    Returns:
        The process exit status.
    """
    args = build_parser(prog).parse_args(argv)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
