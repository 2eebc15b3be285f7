"""Benchmark: 50 concurrent users on the web application for 2 minutes (locust, loopback).

Run: ``.venv/bin/python -m benchmarks.bench_web [--utilisateurs 50] [--duree 120]
[--base B.duckdb] [--processus N]`` (or ``make bench``). Without ``--base``, generates the `petite` synthetic
territory (seed 11) with ``mixite generer`` and ``mixite importer`` in a temporary folder. Starts
``mixite web --demo`` on a free loopback port in a subprocess (its own server, consumer and
store), then runs locust in this process: half the users are a landlord (log in, then open its
dashboard again and again), half are applicants (open the simulator and submit a situation).
Prints requests per second, p50/p95 latency and the error count; targets: p95 ≤ 500 ms, 0 error.
Not a test: it measures, on loopback only, for a bounded time.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

TARGET_P95_MS = 500.0
#: The applicant's situation sent to the simulator (the one of tests/web/test_pages.py).
SITUATION: dict[str, str | list[str]] = {
    "date_depot": "01/03/2022", "age": "34", "situation_pro": "cdi",
    "logement_actuel": "heberge_famille", "motif": "violences", "personnes": "3",
    "adultes": "1", "plus_14": "1", "monoparentale": "on", "ressources": "1200",
    "pieces_actuelles": "1", "commune": "96001", "pieces": "3", "priorites": ["e"],
    "priorite_justifiee": "on", "refus": "0",
}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _mixite(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "mixite", *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def _territory(folder: Path) -> Path:
    data, base = folder / "donnees", folder / "territoire.duckdb"
    _mixite("generer", "--dossier", str(data), "--taille", "petite", "--graine", "11")
    _mixite("importer", "--base", str(base), "--millesime", "2025", "--dossier", str(data))
    return base


def _serve(base: Path, port: int, processes: int) -> tuple[subprocess.Popen[str], dict[str, str]]:
    # The preparation prints the passwords of the demo accounts (new ones at each run).
    out = _mixite("web", "--base", str(base), "--demo", "--preparer")
    accounts = dict(re.findall(r"^  (\S+) / (\S+) \(", out, flags=re.M))
    command = [sys.executable, "-m", "mixite", "web", "--base", str(base), "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--processus", str(processes)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            return server, accounts
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise RuntimeError("Le serveur web n'a pas démarré en 60 s.")


def _load(host: str, password: str, users: int, seconds: int) -> dict[str, float]:
    import gevent
    from locust import HttpUser, between, task
    from locust.env import Environment

    def csrf(client: object, path: str) -> str:
        page = client.get(path)  # type: ignore[attr-defined]
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        return match.group(1) if match else ""

    class Landlord(HttpUser):
        wait_time = between(0.5, 1.5)

        def on_start(self) -> None:
            token = csrf(self.client, "/connexion/")
            self.client.post(
                "/connexion/",
                {"username": "bailleur", "password": password, "csrfmiddlewaretoken": token},
                name="/connexion/",
            )
            self.dashboard = self.client.get("/espace/").url or "/espace/"

        @task
        def dashboard(self) -> None:
            self.client.get(self.dashboard, name="tableau de bord du bailleur")

    class Applicant(HttpUser):
        wait_time = between(0.5, 1.5)

        @task
        def simulate(self) -> None:
            token = csrf(self.client, "/simulateur/")
            page = self.client.post(
                "/simulateur/",
                {"csrfmiddlewaretoken": token, **SITUATION},
                name="simulateur (envoi)",
                catch_response=True,
            )
            with page as response:
                if "Résultat" not in response.text:
                    response.failure("pas de résultat")

    env = Environment(user_classes=[Landlord, Applicant], host=host)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=max(1, users // 5))
    gevent.spawn_later(seconds, runner.quit)
    runner.greenlet.join()
    total = env.stats.total
    for error in env.stats.errors.values():
        print(f"  erreur × {error.occurrences} : {error.method} {error.name} — {error.error}")
    return {
        "requests": float(total.num_requests),
        "rps": total.num_requests / max(seconds, 1),
        "p50": float(total.get_response_time_percentile(0.5) or 0),
        "p95": float(total.get_response_time_percentile(0.95) or 0),
        "errors": float(total.num_failures),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--utilisateurs", type=int, default=50)
    parser.add_argument("--duree", type=int, default=120, help="secondes")
    parser.add_argument("--base", type=Path, default=None)
    parser.add_argument("--processus", type=int, default=1, help="processus du serveur")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mixite-bench-web-") as tmp:
        base = args.base or _territory(Path(tmp))
        port = _free_port()
        server, accounts = _serve(base, port, args.processus)
        start_load = os.getloadavg()
        try:
            figures = _load(
                f"http://127.0.0.1:{port}", accounts["bailleur"], args.utilisateurs, args.duree
            )
        finally:
            end_load = os.getloadavg()
            server.terminate()
            server.wait(timeout=30)
    print(
        f"{args.utilisateurs} utilisateurs, {args.duree} s, {args.processus} processus : {figures['requests']:.0f} requêtes, "
        f"{figures['rps']:.1f} req/s, p50 {figures['p50']:.0f} ms, p95 {figures['p95']:.0f} ms "
        f"(cible ≤ {TARGET_P95_MS:.0f} ms), erreurs {figures['errors']:.0f} (cible 0)."
    )
    print(
        "Charge de la machine (moyenne sur 1 min) : "
        f"{start_load[0]:.1f} au début, {end_load[0]:.1f} à la fin ({os.cpu_count()} cœurs)."
    )
    ok = figures["p95"] <= TARGET_P95_MS and figures["errors"] == 0
    print("Cible atteinte." if ok else "Cible NON atteinte.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
