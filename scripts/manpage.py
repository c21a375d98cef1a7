#!/usr/bin/env python3
"""Writes censorscope(1) in roff on stdout, from the binary's own argument parser
(`censorscope --experimental-dump-help`): every command, its abstract, discussion and
options, so the page lists exactly what the binary takes. The sections the parser does
not know (exit status, environment, files) are written here.

Usage: scripts/manpage.py PATH/TO/censorscope > censorscope.1
"""
import datetime
import json
import subprocess
import sys


def roff(text):
    """Escapes text for roff: backslashes, and a leading dot or quote on any line."""
    text = text.replace("\\", "\\e")
    lines = []
    for line in text.split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def paragraphs(text):
    """A discussion as roff paragraphs; `Example:` lines become indented examples."""
    out = []
    for line in (text or "").strip().split("\n"):
        line = line.strip()
        if not line:
            continue
        if line.startswith("Example: "):
            out += [".PP", "Example:", ".RS 4", ".nf", roff(line[len("Example: "):]), ".fi", ".RE"]
        else:
            out += [".PP", roff(line)]
    return out


def names(arg):
    out = []
    for n in arg.get("names", []):
        if n["kind"] == "long":
            out.append("--" + n["name"])
        elif n["kind"] == "short":
            out.append("-" + n["name"])
        else:
            out.append("-" + n["name"])
    return out


def options(command):
    out = []
    for arg in command.get("arguments", []):
        if not arg.get("shouldDisplay", True):
            continue
        if arg["kind"] == "positional":
            label = "\\fI" + arg.get("valueName", "value") + "\\fR"
        else:
            label = ", ".join("\\fB" + roff(n) + "\\fR" for n in names(arg))
            if arg["kind"] == "option":
                label += " \\fI" + arg.get("valueName", "value") + "\\fR"
        help_text = arg.get("abstract", "")
        if arg.get("defaultValue") not in (None, "", "false"):
            help_text += " (default: " + arg["defaultValue"] + ")"
        out += [".TP", label, roff(help_text)]
    return out


def walk(command, path, out):
    if not command.get("shouldDisplay", True):
        return
    subcommands = [c for c in command.get("subcommands", []) if c.get("shouldDisplay", True)]
    if path:
        out += [".SS \"" + roff(" ".join(path)) + "\""]
        out += [".PP", roff(command.get("abstract", ""))]
        out += paragraphs(command.get("discussion"))
        shown = [a for a in command.get("arguments", []) if a.get("shouldDisplay", True)
                 and not any(n["name"] in ("help", "version") for n in a.get("names", []))]
        if shown and not subcommands:
            out += [".PP", "Options:", ".RS 4"] + options({"arguments": shown}) + [".RE"]
    for sub in subcommands:
        if sub["commandName"] == "help":
            continue
        walk(sub, path + [sub["commandName"]], out)


def main():
    binary = sys.argv[1]
    dump = json.loads(subprocess.run([binary, "--experimental-dump-help"], check=True, capture_output=True, text=True).stdout)
    version = subprocess.run([binary, "--version"], check=True, capture_output=True, text=True).stdout.strip()
    root = dump["command"]
    date = datetime.date.today().isoformat()
    out = [".TH CENSORSCOPE 1 \"%s\" \"censorscope %s\" \"User Commands\"" % (date, roff(version)),
           ".SH NAME", "censorscope \\- " + roff(root.get("abstract", "")),
           ".SH SYNOPSIS", "\\fBcensorscope\\fR \\fICOMMAND\\fR [\\fIOPTIONS\\fR]",
           ".SH DESCRIPTION"]
    out += paragraphs(root.get("discussion"))
    out += [".PP", "Every command that produces results takes \\fB--json\\fR and then prints JSON on standard output.",
            "Errors are one line on standard error, beginning \\fBerror:\\fR.",
            ".SH COMMANDS"]
    walk(root, [], out)
    out += [".SH EXIT STATUS",
            ".TP", "0", "Measured and not blocked (or, for a command that measures nothing, done).",
            ".TP", "1", "An error: a file, the network, a permission; one line says what.",
            ".TP", "2", "Measured and blocked: a blocking verdict (investigate), a forged answer (probe), "
                        "censored or endpoint-blocking (analyze).",
            ".TP", "3", "Inconclusive: nothing decided (no answer, host down, a trace that did not reach its target, "
                        "an analysis without conclusion).",
            ".TP", "64", "A usage error: the command line is wrong.",
            ".TP", "130", "Interrupted (Ctrl-C); investigate keeps the evidence gathered so far and says where.",
            ".SH ENVIRONMENT",
            ".TP", "NO_COLOR", "When set to a non-empty value, no colour is used (as \\fB--color never\\fR).",
            ".SH FILES",
            ".TP", "Probes/experiments/investigate.yaml", "The default experiment (built into the binary).",
            ".TP", "~/.censorscope/known_agents", "Pinned agent certificates, like ssh's known_hosts (another file with CENSORSCOPE_KNOWN_AGENTS).",
            ".SH SEE ALSO", "tcpdump(8), traceroute(8), mtr(8), scamper(1), nmap(1); Docs/ in the source tree."]
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
