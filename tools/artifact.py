"""Prints the path of a built executable, read from cargo's JSON messages.

Usage: artifact.py <cargo --message-format=json output> <target name>
"""
import json
import sys

messages, name = sys.argv[1], sys.argv[2]
paths = []
with open(messages, encoding="utf-8") as lines:
    for line in lines:
        if not line.startswith("{"):
            continue
        message = json.loads(line)
        if message.get("reason") != "compiler-artifact":
            continue
        if message["target"]["name"] == name and message.get("executable"):
            paths.append(message["executable"])
if len(paths) != 1:
    sys.exit(f"expected one executable named {name!r} in {messages}, found {paths}")
print(paths[0])
