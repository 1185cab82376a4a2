"""A small, real HTTP server that answers the part of GitHub's REST API the workflows'
scripts use (issue comments, issues, labels), so that those scripts run in the tests as
written, with curl and jq, against `GITHUB_API_URL`.

It keeps its state in memory, checks the bearer token, and records every request.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "ghs_test-token"
BOT = "github-actions[bot]"


@dataclass
class State:
    repo: str
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # issue number -> comments
    issues: list[dict[str, Any]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path)
    next_id: int = 1000
    # the repository's files by branch (path -> (blob sha, content)), branches whose
    # rules refuse a direct commit, and the pull requests opened
    files: dict[str, dict[str, tuple[str, bytes]]] = field(default_factory=lambda: {"main": {}})
    protected: set[str] = field(default_factory=set)
    pulls: list[dict[str, Any]] = field(default_factory=list)

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id


class GitHubAPI:
    def __init__(self, repo: str = "acme/compliance") -> None:
        self.state = State(repo)
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, code: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> Any:
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"{}")

            def _handle(self, method: str) -> None:
                parts = urlsplit(self.path)
                state.requests.append((method, parts.path))
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self._send(401, {"message": "Bad credentials"})
                prefix = f"/repos/{state.repo}/"
                if parts.path == prefix[:-1]:
                    parts = parts._replace(path=prefix)
                if not parts.path.startswith(prefix):
                    return self._send(404, {"message": "Not Found"})
                route = parts.path[len(prefix):].split("/")
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                try:
                    code, body = self.route(method, route, query)
                except (KeyError, ValueError, StopIteration):
                    code, body = 404, {"message": "Not Found"}
                self._send(code, body)

            def route(self, method: str, route: list[str], query: dict[str, str]) -> tuple[int, Any]:
                if route == [""] and method == "GET":
                    return 200, {"full_name": state.repo, "default_branch": "main"}
                if route[0] == "contents":
                    return self.contents(method, "/".join(route[1:]), query)
                if route[:3] == ["git", "ref", "heads"] and method == "GET":
                    branch = "/".join(route[3:])
                    if branch not in state.files:
                        return 404, {"message": "Not Found"}
                    return 200, {"ref": f"refs/heads/{branch}", "object": {"sha": f"tip-of-{branch}"}}
                if route == ["git", "refs"] and method == "POST":
                    body = self._body()
                    branch = body["ref"].removeprefix("refs/heads/")
                    if branch in state.files:
                        return 422, {"message": "Reference already exists"}
                    state.files[branch] = dict(state.files["main"])
                    return 201, {"ref": body["ref"]}
                if route == ["pulls"] and method == "POST":
                    body = self._body()
                    if any(p["head"] == body["head"] for p in state.pulls):
                        return 422, {"message": "A pull request already exists"}
                    state.pulls.append({"number": len(state.pulls) + 1, **body})
                    return 201, state.pulls[-1]
                if route == ["labels"] and method == "POST":
                    name = self._body()["name"]
                    if name in state.labels:
                        return 422, {"message": "Validation Failed"}
                    state.labels.append(name)
                    return 201, {"name": name}
                if route == ["issues"] and method == "GET":
                    wanted = set(filter(None, query.get("labels", "").split(",")))
                    found = [i for i in state.issues if i["state"] == query.get("state", "open")
                             and wanted <= {lab["name"] for lab in i["labels"]}]
                    return 200, found
                if route == ["issues"] and method == "POST":
                    body = self._body()
                    issue = {"number": len(state.issues) + 1, "title": body["title"], "body": body.get("body", ""),
                             "labels": [{"name": n} for n in body.get("labels", [])], "state": "open"}
                    state.issues.append(issue)
                    return 201, issue
                if len(route) == 2 and route[0] == "issues" and route[1].isdigit() and method == "PATCH":
                    issue = next(i for i in state.issues if i["number"] == int(route[1]))
                    issue.update(self._body())
                    return 200, issue
                if len(route) == 3 and route[0] == "issues" and route[2] == "comments":
                    number = int(route[1])
                    if method == "GET":
                        page, per_page = int(query.get("page", 1)), int(query.get("per_page", 30))
                        items = state.comments.get(number, [])
                        return 200, items[(page - 1) * per_page: page * per_page]
                    if method == "POST":
                        comment = {"id": state.new_id(), "body": self._body()["body"], "user": {"login": BOT}}
                        state.comments.setdefault(number, []).append(comment)
                        return 201, comment
                if route[:2] == ["issues", "comments"] and len(route) == 3 and method == "PATCH":
                    cid = int(route[2])
                    comment = next(c for cs in state.comments.values() for c in cs if c["id"] == cid)
                    comment["body"] = self._body()["body"]
                    return 200, comment
                return 404, {"message": "Not Found"}

            def contents(self, method: str, path: str, query: dict[str, str]) -> tuple[int, Any]:
                import base64
                import hashlib

                if method == "GET":
                    found = state.files.get(query.get("ref", "main"), {}).get(path)
                    return (200, {"path": path, "sha": found[0]}) if found else (404, {"message": "Not Found"})
                body = self._body()
                branch = body.get("branch", "main")
                if branch in state.protected:
                    return 409, {"message": "Repository rule violations found"}
                files = state.files.get(branch)
                if files is None:
                    return 404, {"message": "Branch not found"}
                current = files.get(path)
                if current is not None and body.get("sha") != current[0]:
                    return 409, {"message": f"{path} does not match {body.get('sha')}"}
                content = base64.b64decode(body["content"])
                files[path] = (hashlib.sha1(content).hexdigest(), content)
                return (200 if current else 201), {"content": {"path": path}, "commit": {"message": body["message"]}}

            def do_PUT(self) -> None:
                self._handle("PUT")

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_PATCH(self) -> None:
                self._handle("PATCH")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> GitHubAPI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
