"""orbitwatch CLI commands (pc): collision probability from CCSDS CDMs."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from orbitwatch.cli.app import app, err, fail, load_hbr_table, out


def _fmt(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.4e}" if (x != 0 and (abs(x) < 1e-2 or abs(x) >= 1e5)) else f"{x:.4g}"
    return str(x)


@app.command("pc")
def pc_command(
    files: list[Path] = typer.Argument(..., help="CCSDS CDM files (KVN or XML, version 1.0 or 2.0)."),
    hbr_m: float | None = typer.Option(None, "--hbr-m", help="Combined hard-body radius in metres; "
                                       "overrides the CDM's 'COMMENT HBR = R' line."),
    hbr_table: Path | None = typer.Option(None, "--hbr-table", help="CARA HBR/mass CSV used when "
                                          "neither --hbr-m nor the CDM gives an HBR."),
    default_hbr_m: float = typer.Option(20.0, "--default-hbr-m", help="Combined HBR in metres when "
                                        "no other source has one."),
    methods: str = typer.Option("pc2d,nc2d,nc3d,mc,max", "--methods",
                                help="Comma-separated subset of pc2d,nc2d,nc3d,mc,max."),
    fmt: str = typer.Option("table", "--format", help="json or table."),
    mc_samples: int = typer.Option(1_000_000, "--mc-samples", help="Monte Carlo sample cap."),
    mc_seconds: float = typer.Option(5.0, "--mc-seconds", help="Monte Carlo wall-time budget per CDM."),
    seed: int = typer.Option(0, "--seed", help="Monte Carlo random seed."),
    red: float = typer.Option(1e-4, "--red", help="Pc threshold for the red tier."),
    yellow: float = typer.Option(1e-7, "--yellow", help="Pc threshold for the yellow tier."),
) -> None:
    """Probability of collision for each CDM: 2D-Pc (Foster/CARA PcCircle), 2D-Nc and 3D-Nc
    (Hall), Monte Carlo with a 95% interval, and the maximum Pc over covariance scaling."""
    from orbitwatch.ccsds.cdm import CdmError, read_cdm
    from orbitwatch.collision.cdm_assess import ALL_METHODS, assess_cdm
    from orbitwatch.collision.risk import RiskThresholds

    wanted = tuple(m.strip().lower() for m in methods.split(",") if m.strip())
    bad = [m for m in wanted if m not in ALL_METHODS]
    if bad:
        fail(f"unknown method(s) {', '.join(bad)}; choose from {', '.join(ALL_METHODS)}", 2)
    if fmt not in ("json", "table"):
        fail("--format must be json or table", 2)
    table = load_hbr_table(hbr_table)
    thresholds = RiskThresholds(red=red, yellow=yellow)
    results = []
    n_bad = 0
    for f in files:
        try:
            cdm = read_cdm(f)
            res = assess_cdm(cdm, hbr_m=hbr_m, hbr_table=table, methods=wanted,
                             default_hbr_m=default_hbr_m, mc_seed=seed, mc_max_samples=mc_samples,
                             mc_time_budget_s=mc_seconds, thresholds=thresholds, file=str(f))
        except CdmError as exc:
            n_bad += 1
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
            res = {"file": str(f), "error": str(exc)}
        except Exception as exc:  # one bad conjunction must not stop the batch
            n_bad += 1
            msg = f"{f}: computation failed: {type(exc).__name__}: {exc}"
            err.print(f"[bold red]error:[/] {msg}", highlight=False)
            res = {"file": str(f), "error": msg}
        results.append(res)
    if fmt == "json":
        out.print_json(json.dumps(results))
    else:
        from rich.table import Table

        t = Table(show_lines=False)
        cols = ["file", "object_1", "object_2", "tca", "miss_m", "vrel_m_s", "hbr_m", "pc_2d",
                "nc_2d", "nc_3d", "pc_mc [95%]", "pc_max", "tier"]
        for c in cols:
            t.add_column(c)
        for r in results:
            if "error" in r:
                t.add_row(Path(r["file"]).name, "error", r["error"][:60], *[""] * (len(cols) - 3))
                continue
            mc = r.get("pc_mc")
            mcs = "-" if not mc else f"{_fmt(mc['value'])} [{_fmt(mc['ci95_low'])}, {_fmt(mc['ci95_high'])}] n={mc['samples']}"
            t.add_row(Path(r["file"]).name, f"{r['object_1']['designator']} {r['object_1']['name'] or ''}",
                      f"{r['object_2']['designator']} {r['object_2']['name'] or ''}", r["tca"],
                      _fmt(r["miss_distance_m"]), _fmt(r["relative_speed_m_s"]),
                      f"{_fmt(r['hbr_m'])} ({r['hbr_source']})", _fmt(r.get("pc_2d")),
                      _fmt(r.get("nc_2d")), _fmt(r.get("nc_3d")), mcs, _fmt(r.get("pc_max")), r["tier"])
        out.print(t, width=max(out.width, 220))
        for r in results:
            for w in r.get("warnings", []):
                err.print(f"[yellow]warning:[/] {Path(r['file']).name}: {w}", highlight=False)
    if n_bad:
        raise typer.Exit(1)
