//! `inference.GRPCInferenceService` on the gRPC port, by hand over the raw
//! codec as imgwire's own service is: ModelInfer answers through the shared
//! request path (protobuf decoding and encoding timed as server stages, the
//! stages in the `server-timing` trailer), and ServerLive, ServerReady,
//! ModelReady, ServerMetadata and ModelMetadata answer at once.

use super::grpc_bodies::GrpcInfer;
use super::{metadata, V2Service};
use crate::server::grpc::{reply, unary_with_timing, BoxFuture, TimingSlot};
use crate::server::refusal::RequestError;
use crate::server::request::{answer, Received};
use crate::wire::proto::kserve as pb;
use crate::wire::PayloadKind;
use bytes::Bytes;
use prost::Message;
use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;
use tonic::body::Body;
use tonic::server::{NamedService, UnaryService};
use tonic::{Request, Response, Status};

/// The service's name in every method path.
const SERVICE: &str = "inference.GRPCInferenceService";

/// The service, ready to serve beside imgwire's own.
pub fn routes(service: Arc<V2Service>) -> tonic::service::Routes {
    tonic::service::Routes::new(InferenceService { service })
}

#[derive(Clone)]
struct InferenceService {
    service: Arc<V2Service>,
}

impl NamedService for InferenceService {
    const NAME: &'static str = SERVICE;
}

/// The methods served: inference, and questions about the server.
#[derive(Clone, Copy)]
enum Rpc {
    ModelInfer,
    Ask(Question),
}

/// The methods answered at once, without the request path.
#[derive(Clone, Copy)]
enum Question {
    ServerLive,
    ServerReady,
    ModelReady,
    ServerMetadata,
    ModelMetadata,
}

impl Rpc {
    fn from_path(path: &str) -> Option<Rpc> {
        let method = path
            .strip_prefix('/')?
            .strip_prefix(SERVICE)?
            .strip_prefix('/')?;
        Some(match method {
            "ModelInfer" => Rpc::ModelInfer,
            "ServerLive" => Rpc::Ask(Question::ServerLive),
            "ServerReady" => Rpc::Ask(Question::ServerReady),
            "ModelReady" => Rpc::Ask(Question::ModelReady),
            "ServerMetadata" => Rpc::Ask(Question::ServerMetadata),
            "ModelMetadata" => Rpc::Ask(Question::ModelMetadata),
            _ => return None,
        })
    }
}

impl tower::Service<http::Request<Body>> for InferenceService {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        // Headers have arrived; the body has not been read yet.
        let arrived = Instant::now();
        let Some(rpc) = Rpc::from_path(request.uri().path()) else {
            return Box::pin(async {
                Ok(Status::unimplemented(format!("{SERVICE} has no such method here")).into_http())
            });
        };
        let service = self.service.clone();
        Box::pin(async move {
            let slot = TimingSlot::default();
            let call = Call {
                service: service.clone(),
                rpc,
                arrived,
                slot: slot.clone(),
            };
            Ok(unary_with_timing(&service.state, call, slot, request).await)
        })
    }
}

/// One call of one method.
struct Call {
    service: Arc<V2Service>,
    rpc: Rpc,
    arrived: Instant,
    slot: TimingSlot,
}

impl UnaryService<Bytes> for Call {
    type Response = Bytes;
    type Future = BoxFuture<Result<Response<Bytes>, Status>>;

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        let service = self.service.clone();
        let body = request.into_inner();
        match self.rpc {
            Rpc::ModelInfer => {
                // tonic has read and unframed the message by now: that is receiving.
                let received = Received {
                    payload: PayloadKind::Binary,
                    body,
                    receive: self.arrived.elapsed(),
                };
                let slot = self.slot.clone();
                Box::pin(async move { model_infer(&service, received, &slot).await })
            }
            Rpc::Ask(question) => {
                let answered = answer_question(&service, question, body)
                    .map(|message| Response::new(message.into()));
                Box::pin(async move { answered })
            }
        }
    }
}

async fn model_infer(
    service: &V2Service,
    received: Received,
    slot: &TimingSlot,
) -> Result<Response<Bytes>, Status> {
    let format = GrpcInfer::new(service);
    let answered = answer(&service.state, received, &format).await;
    // A call for another model is not this model's failure.
    if !matches!(answered.result, Err(RequestError::NotFound(_))) {
        service.stats.record(&answered);
    }
    reply(answered, slot)
}

/// The answer to a question about the server or the model.
fn answer_question(
    service: &V2Service,
    question: Question,
    body: Bytes,
) -> Result<Vec<u8>, Status> {
    let invalid =
        |e: prost::DecodeError| Status::invalid_argument(format!("not the request message: {e}"));
    Ok(match question {
        Question::ServerLive => pb::ServerLiveResponse { live: true }.encode_to_vec(),
        Question::ServerReady => pb::ServerReadyResponse { ready: true }.encode_to_vec(),
        Question::ServerMetadata => metadata::server_proto().encode_to_vec(),
        Question::ModelReady => {
            let asked = pb::ModelReadyRequest::decode(body).map_err(invalid)?;
            let ready = service.find(&asked.name, &asked.version).is_ok();
            pb::ModelReadyResponse { ready }.encode_to_vec()
        }
        Question::ModelMetadata => {
            let asked = pb::ModelMetadataRequest::decode(body).map_err(invalid)?;
            service
                .find(&asked.name, &asked.version)
                .map_err(|e| Status::not_found(e.to_string()))?;
            metadata::model_proto(service.model()).encode_to_vec()
        }
    })
}
