include "base.thrift"

namespace go payment

enum PaymentStatus {
    PENDING = 1,   // the provider has not answered yet
    SUCCEEDED = 2,
    FAILED = 3,    // the provider declined; the order stays payable
    REFUNDED = 4,  // paid for an order that was cancelled meanwhile
}

struct Payment {
    1: i64 payment_id,
    2: i64 order_id,
    3: i64 user_id,
    4: i64 amount_cents, // always the order's total, read from the order service
    5: string method,
    6: PaymentStatus status,
    7: string provider_ref,
    8: string failure_reason,
    9: i64 created_at_unix_ms,
    10: i64 updated_at_unix_ms,
}

struct PayRequest {
    1: i64 order_id,
    2: i64 user_id,
    3: string method,          // "card", "wallet", ...
    4: string idempotency_key, // per order; the same key returns the same payment
}

struct PayResponse {
    1: Payment payment,
    2: bool created, // false when the idempotency key replayed an earlier payment
}

struct GetPaymentRequest {
    1: i64 payment_id,
    2: i64 user_id,
}

struct GetPaymentResponse {
    1: Payment payment,
}

struct GetPaymentByOrderRequest {
    1: i64 order_id,
    2: i64 user_id,
}

struct GetPaymentByOrderResponse {
    1: Payment payment, // the latest SUCCEEDED (or else latest) payment of the order
}

service PaymentService {
    base.PingResponse Ping(1: base.PingRequest req)
    PayResponse Pay(1: PayRequest req) throws (1: base.ServiceError err)
    GetPaymentResponse GetPayment(1: GetPaymentRequest req) throws (1: base.ServiceError err)
    GetPaymentByOrderResponse GetPaymentByOrder(1: GetPaymentByOrderRequest req) throws (1: base.ServiceError err)
}
