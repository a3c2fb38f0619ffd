"""A fact-checker's integration in Python: generate stubs from proto/, check health, register a
quote and read it back by content hash, check texts that credit it rightly and wrongly, and
stream a bulk import of small registrations. Exits non-zero on any failure."""

import argparse
import hashlib
import importlib
import sys
import tempfile
import unicodedata
from pathlib import Path


def generate_stubs(proto_root: Path, out_dir: Path) -> None:
    from grpc_tools import protoc
    import grpc_tools

    well_known = Path(grpc_tools.__file__).parent / "_proto"
    files = [str(p.relative_to(proto_root)) for p in sorted(proto_root.rglob("*.proto"))]
    code = protoc.main([
        "grpc_tools.protoc",
        f"-I{proto_root}",
        f"-I{well_known}",
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *files,
    ])
    if code != 0:
        raise SystemExit(f"protoc failed with {code}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--proto-root", required=True, type=Path)
    args = parser.parse_args()

    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: F401  (from grpcio-health-checking)

    with tempfile.TemporaryDirectory() as out:
        generate_stubs(args.proto_root, Path(out))
        sys.path.insert(0, out)
        registry_pb2 = importlib.import_module("verbatim.v1.registry_pb2")
        registry_pb2_grpc = importlib.import_module("verbatim.v1.registry_pb2_grpc")
        check_pb2 = importlib.import_module("verbatim.v1.check_pb2")
        check_pb2_grpc = importlib.import_module("verbatim.v1.check_pb2_grpc")

        with grpc.insecure_channel(args.server) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            status = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=10).status
            assert status == health_pb2.HealthCheckResponse.SERVING, status

            registry = registry_pb2_grpc.RegistryStub(channel)
            text = "“We don’t negotiate with anyone,” the minister said."
            created = registry.RegisterQuote(
                registry_pb2.RegisterQuoteRequest(text=text, speaker="The Minister"), timeout=10
            )
            assert created.created, created
            content_hash = created.quote.content_hash
            assert content_hash.startswith("sha256:") and len(content_hash) == 71, content_hash

            # Recompute the hash independently, as a fact-checker would, for this text (whose
            # words need only the rules an ASCII-and-quotes text exercises).
            canonical = created.quote.canonical_text
            assert canonical == "we don't negotiate with anyone the minister said", canonical
            digest = hashlib.sha256(("verbatim-canonical-v1\n" + canonical).encode()).hexdigest()
            assert content_hash == "sha256:" + digest, (content_hash, digest)
            assert unicodedata.normalize("NFKC", canonical) == canonical

            fetched = registry.GetQuote(registry_pb2.GetQuoteRequest(content_hash=content_hash), timeout=10)
            assert fetched.quote.text == text
            assert fetched.quote.attributions[0].speaker == "The Minister"

            words = "We will not raise the fuel duty this year, whatever the models say."
            registry.RegisterQuote(
                registry_pb2.RegisterQuoteRequest(text=words, speaker="Helen Marsh"), timeout=10
            )
            checker = check_pb2_grpc.CheckerStub(channel)
            for article, verdict, credited in [
                (f"Marsh said: “{words}”", check_pb2.ATTRIBUTION_VERDICT_CORRECT, "Marsh"),
                (f"Bowen said: “{words}”", check_pb2.ATTRIBUTION_VERDICT_MISATTRIBUTED, "Bowen"),
                (f"The hall was full. “{words}”", check_pb2.ATTRIBUTION_VERDICT_MISSING, ""),
            ]:
                response = checker.CheckText(check_pb2.CheckTextRequest(text=article), timeout=10)
                finding = response.findings[0]
                assert finding.verdict == check_pb2.MATCH_VERDICT_VERIFIED, finding
                assert finding.attribution.verdict == verdict, (article, finding.attribution)
                assert finding.attribution.credited == credited, finding.attribution
                assert list(finding.attribution.expected) == ["Helen Marsh"], finding.attribution
                if credited:
                    # Offsets in UTF-16 code units, as JavaScript and Java count.
                    span = finding.attribution.credited_span
                    units = article.encode("utf-16-le")
                    assert units[span.utf16_start * 2:span.utf16_end * 2].decode("utf-16-le") == credited

            # A bulk importer streams small registrations as fast as it can: grpcio sends each
            # as a DATA frame of its own, and the server must keep taking them while it
            # commits, without calling them a flood.
            count = 20_000
            bulk = registry.RegisterQuotes(
                (registry_pb2.RegisterQuoteRequest(text=f"Bulk item {i} of the import.", speaker="Importer")
                 for i in range(count)),
                timeout=300,
            )
            assert bulk.created == count and not bulk.rejected, (bulk.created, bulk.rejected[:3])

            try:
                registry.GetQuote(registry_pb2.GetQuoteRequest(content_hash="sha256:bad"), timeout=10)
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.code()
                assert "content_hash" in error.details(), error.details()
            else:
                raise AssertionError("a malformed hash must be refused")

    print("python client: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
