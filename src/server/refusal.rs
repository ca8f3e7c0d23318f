//! Why the server refuses a request, in words a user can act on, and the
//! HTTP and gRPC status each refusal maps to.

/// Why a request was refused. Each names the problem in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("malformed request: {0}")]
    Malformed(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("bad image: {0}")]
    BadImage(String),
    #[error("size mismatch: {0}")]
    Mismatch(String),
    #[error("server error: {0}")]
    Internal(String),
    /// The request names something this server does not serve (a v2 model).
    #[error("{0}")]
    NotFound(String),
}

impl RequestError {
    pub fn http_status(&self) -> http::StatusCode {
        match self {
            RequestError::Malformed(_) => http::StatusCode::BAD_REQUEST,
            RequestError::TooLarge(_) => http::StatusCode::PAYLOAD_TOO_LARGE,
            RequestError::BadImage(_) | RequestError::Mismatch(_) => {
                http::StatusCode::UNPROCESSABLE_ENTITY
            }
            RequestError::Internal(_) => http::StatusCode::INTERNAL_SERVER_ERROR,
            RequestError::NotFound(_) => http::StatusCode::NOT_FOUND,
        }
    }

    pub fn grpc_status(&self) -> tonic::Status {
        let message = self.to_string();
        match self {
            RequestError::Malformed(_) | RequestError::BadImage(_) | RequestError::Mismatch(_) => {
                tonic::Status::invalid_argument(message)
            }
            RequestError::TooLarge(_) => tonic::Status::resource_exhausted(message),
            RequestError::Internal(_) => tonic::Status::internal(message),
            RequestError::NotFound(_) => tonic::Status::not_found(message),
        }
    }
}

/// The message for a body over the limit, naming the flag that raises it.
pub fn too_large(limit: usize) -> RequestError {
    RequestError::TooLarge(format!(
        "request body is over the server's limit of {} MiB (raise it with --max-message-mb)",
        limit / (1024 * 1024)
    ))
}
