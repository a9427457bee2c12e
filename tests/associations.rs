//! Confluent 8.2's association lists over the real server (`AssociationsResource`, 8.3.1; notes
//! in `docs/notes/associations-8x.md`). The default subject strategy of confluent-kafka 2.14+
//! and @confluentinc/schemaregistry 1.10+ probes `GET /associations/resources/-/{topic}` for
//! every topic it meets: Confluent answers 200 `[]` when nothing is associated, and a client
//! then uses `{topic}-value`; any other status but 404 fails every produce. Associations cannot
//! be created here yet, so every list is empty; bad filters are unmatched (404) as in Jersey.

mod common;

use common::Server;
use serde_json::json;

#[tokio::test]
async fn association_lists_answer_as_confluent_does_when_nothing_is_associated() {
    let server = Server::start();
    for path in [
        "/associations/resources/-/orders?resourceType=topic&associationType=value",
        "/associations/resources/-/orders?resourceType=topic&associationType=key",
        "/associations/resources/lkc-1/-",
        "/associations/resources/some-resource-id",
        "/associations/subjects/orders-value?lifecycle=STRONG&offset=0&limit=10",
    ] {
        let (status, v) = server.get(path).await;
        assert_eq!((status, v), (200, json!([])), "{path}");
    }
    // JAX-RS cannot convert these parameters: the request is unmatched.
    for path in [
        "/associations/subjects/orders-value?lifecycle=sometimes",
        "/associations/resources/-/orders?offset=x",
    ] {
        let (status, v) = server.get(path).await;
        assert_eq!(status, 404, "{path}: {v}");
    }
    // Deeper paths are not routes.
    let (status, _) = server.get("/associations/resources/a/b/c").await;
    assert_eq!(status, 404);
}
