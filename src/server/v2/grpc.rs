//! `inference.GRPCInferenceService` on the gRPC port, a method table the
//! one gRPC router serves (`grpc_service`) as it serves imgwire's own:
//! ModelInfer answers through the shared request path (protobuf decoding
//! and encoding timed as server stages, the stages in the `server-timing`
//! trailer), and ServerLive, ServerReady, ModelReady, ServerMetadata and
//! ModelMetadata answer at once.

use super::grpc_bodies::GrpcInfer;
use super::{metadata, V2Service};
use crate::server::grpc_service::{self, reply, MethodTable, Reply, TimingSlot, Unframed};
use crate::server::refusal::RequestError;
use crate::server::request::{answer, Received};
use crate::server::ServerState;
use crate::wire::proto::kserve as pb;
use crate::wire::PayloadKind;
use bytes::Bytes;
use prost::Message;
use std::sync::Arc;
use tonic::{Response, Status};

/// The service's name in every method path.
const SERVICE: &str = "inference.GRPCInferenceService";

/// The service, ready to serve beside imgwire's own.
pub fn routes(service: Arc<V2Service>) -> tonic::service::Routes {
    grpc_service::routes(InferenceService { service })
}

#[derive(Clone)]
struct InferenceService {
    service: Arc<V2Service>,
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

impl MethodTable for InferenceService {
    const NAME: &'static str = SERVICE;
    type Method = Rpc;

    fn route(path: &str) -> Option<Rpc> {
        Rpc::from_path(path)
    }

    fn state(&self) -> &ServerState {
        &self.service.state
    }

    fn answer(&self, rpc: Rpc, request: Unframed, slot: TimingSlot) -> Reply {
        let service = Arc::clone(&self.service);
        match rpc {
            Rpc::ModelInfer => {
                let received = Received {
                    payload: PayloadKind::Binary,
                    body: request.message,
                    receive: request.receive,
                };
                Box::pin(async move { model_infer(&service, received, &slot).await })
            }
            Rpc::Ask(question) => {
                let answered = answer_question(&service, question, request.message)
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
