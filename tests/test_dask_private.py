"""`grade --scheduler local-cluster` is private: its scheduler speaks only TLS with a certificate
made for it, so a process the grader did not create (another local account on loopback) can
neither connect in plain TCP nor with a certificate of its own, and so cannot run code in it."""

import pytest

from autograder import workers

pytest.importorskip("distributed")


@pytest.mark.slow  # a cluster start and two refused connections: about 13 s
def test_the_local_cluster_refuses_clients_it_did_not_create():
    from distributed import Client
    from distributed.security import Security

    cluster, client = workers.local_cluster(1)
    try:
        assert client.submit(sum, [1, 2]).result(timeout=60) == 3  # the grader's own client works
        address = cluster.scheduler_address
        assert address.startswith("tls://127.0.0.1:")
        plain = "tcp://" + address.split("://", 1)[1]
        for stranger, security in ((plain, None), (address, Security.temporary())):
            with pytest.raises(OSError):  # distributed: "Timed out trying to connect" (a TimeoutError)
                Client(stranger, security=security, timeout="3s")
    finally:
        client.close()
        cluster.close()


def test_a_tls_cluster_without_certificates_says_what_to_set():
    with pytest.raises(SystemExit, match="DASK_DISTRIBUTED__COMM__TLS__CA_FILE"):
        workers.connect("tls://127.0.0.1:1")
