// Shared types for every service. The error model is one Thrift exception,
// ServiceError, thrown by every business method: its code is part of the
// contract and is mapped to an HTTP status exactly once, in the gateway.
namespace go base

enum ErrorCode {
    UNKNOWN = 0,
    INVALID_ARGUMENT = 1,    // the request is malformed or out of range
    NOT_FOUND = 2,           // absent, or not visible to the caller
    ALREADY_EXISTS = 3,      // a unique key is taken (username, ...)
    UNAUTHENTICATED = 4,     // wrong credentials
    PERMISSION_DENIED = 5,   // authenticated but not allowed
    FAILED_PRECONDITION = 6, // the entity is not in a state that allows this
    INSUFFICIENT_STOCK = 7,  // a reservation cannot be satisfied
    IDEMPOTENCY_CONFLICT = 8,// an idempotency key was reused for another request
    PAYMENT_DECLINED = 9,    // the payment provider refused the charge
    UNAVAILABLE = 10,        // a dependency is down; safe to retry later
    INTERNAL = 11,           // our fault
}

exception ServiceError {
    1: required ErrorCode code,
    2: required string message,
}

struct PageRequest {
    1: i32 page = 1,       // 1-based
    2: i32 page_size = 20, // 1..100
}

struct PageInfo {
    1: i32 page,
    2: i32 page_size,
    3: i64 total,
}

struct PingRequest {}

struct PingResponse {
    1: string service,
    2: string instance, // host:port of the instance that answered
    3: i64 time_unix_ms,
}
