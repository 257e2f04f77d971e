"""saned serving the `test` backend and the `net` backend reading from it, in a private network namespace."""

from tests.support.sane_backends import in_network_namespace, run_script


def test_a_batch_arrives_over_the_network_and_a_jam_keeps_its_kind():
    report = run_script("tests.integration.scanner_agent.devices.net_batch_script", wrap=in_network_namespace)

    assert report["devices"] == ["net:127.0.0.1:test:0", "net:127.0.0.1:test:1"]
    assert report["pages"] == 10
    assert report["origins"] == ["net:127.0.0.1:test:0"]
    assert (report["modes"], report["resolutions"]) == (["greyscale"], [100])
    assert report["jam"] == {"pages": 2, "kind": "jammed"}
