"""The test suite's own rules: `make test-fast` (-m "not slow") starts no Snakemake and no
Quarto render."""

from __future__ import annotations

import subprocess
import sys

import pytest
from workflow_utils import SNAKEMAKE, starts_quarto_render, starts_snakemake


@pytest.mark.parametrize(
    ("args", "starts"),
    [
        ([str(SNAKEMAKE), "-n"], True),
        (["snakemake", "--cores", "1"], True),
        ("snakemake --lint", True),
        ([sys.executable, "-m", "snakemake", "-n"], True),
        ([sys.executable, "-c", "print('snakemake')"], False),
        (["pdftotext", "snakemake.pdf", "-"], False),
        ([], False),
    ],
)
def test_starts_snakemake(args, starts):
    assert starts_snakemake(args) is starts


@pytest.mark.parametrize(
    ("args", "starts"),
    [
        (["quarto", "render", "report.qmd", "--to", "html"], True),
        ("/opt/quarto/bin/quarto render r.qmd", True),
        (["quarto", "--version"], False),
        (["pandoc", "render"], False),
        ([], False),
    ],
)
def test_starts_quarto_render(args, starts):
    assert starts_quarto_render(args) is starts


def test_a_fast_test_cannot_start_snakemake_or_a_quarto_render(tmp_path):
    with pytest.raises(pytest.fail.Exception, match="starts Snakemake.*not marked slow"):
        subprocess.run([str(SNAKEMAKE), "--version"], capture_output=True, check=False)
    quarto = tmp_path / "quarto"  # stopped before it runs: any file of that name will do
    with pytest.raises(pytest.fail.Exception, match="starts Quarto.*not marked slow"):
        subprocess.run([str(quarto), "render", "r.qmd"], capture_output=True, check=False)
    # other programs still run
    out = subprocess.run([sys.executable, "-c", "print(2 + 2)"], capture_output=True, text=True)
    assert out.stdout.strip() == "4"
