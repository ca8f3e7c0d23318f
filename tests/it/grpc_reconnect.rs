//! The gRPC client sends its calls straight on hyper's HTTP/2 connection
//! (no tonic channel in between), so reconnecting is its own job: a
//! connection the server closed is opened again by the next call, which
//! succeeds, as tonic's channel did.

use crate::common;

use common::{server_config, start_servers};
use imgwire::protocol::Protocol;
use imgwire::transport::Client;
use imgwire::wire::payload::serialize;
use imgwire::wire::PayloadKind;
use std::time::Duration;

#[test]
fn a_connection_the_server_closed_is_opened_again_by_the_next_call() {
    let servers = start_servers(server_config(&["--idle-timeout-s", "300ms"]));
    let url = servers.url(Protocol::Grpc);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let settings = common::client_settings(1, 1);
        let client = Client::connect(Protocol::Grpc, &url, &settings)
            .await
            .unwrap();
        let call = || async {
            let request = serialize(Protocol::Grpc, PayloadKind::Basic, None).unwrap();
            client.call(0, request).await.map(|_| ())
        };
        call()
            .await
            .expect("the first call, on the first connection");
        // Past the server's idle limit: it closes the connection.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        call().await.expect("the next call opens a new connection");
        call().await.expect("and goes on using it");
    });
    assert_eq!(
        servers.wire.grpc.connections(),
        2,
        "one connection reopened"
    );
}
