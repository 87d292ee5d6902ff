include "base.thrift"

namespace go order

enum OrderStatus {
    PENDING_PAYMENT = 1,
    PAID = 2,
    CANCELLED = 3,
}

struct OrderItem {
    1: i64 product_id,
    2: string name,
    3: i64 unit_price_cents, // taken from the product service, never from the client
    4: i32 quantity,
    5: i64 subtotal_cents,
}

struct Order {
    1: i64 order_id,
    2: i64 user_id,
    3: OrderStatus status,
    4: i64 total_cents,
    5: list<OrderItem> items,
    6: i64 created_at_unix_ms,
    7: i64 updated_at_unix_ms,
    8: string cancel_reason,
}

struct OrderItemInput {
    1: i64 product_id,
    2: i32 quantity, // 1..999
}

struct CreateOrderRequest {
    1: i64 user_id,
    2: list<OrderItemInput> items, // 1..50, product IDs unique
    3: string idempotency_key,     // per user; the same key returns the same order
}

struct CreateOrderResponse {
    1: Order order,
    2: bool created, // false when the idempotency key replayed an earlier order
}

// Every read and change is scoped to its owner: another user's order is NOT_FOUND.
struct GetOrderRequest {
    1: i64 order_id,
    2: i64 user_id,
}

struct GetOrderResponse {
    1: Order order,
}

struct ListOrdersRequest {
    1: i64 user_id,
    2: base.PageRequest page,
}

struct ListOrdersResponse {
    1: list<Order> items, // newest first
    2: base.PageInfo page,
}

struct CancelOrderRequest {
    1: i64 order_id,
    2: i64 user_id,
    3: string reason,
}

struct CancelOrderResponse {
    1: Order order,
}

service OrderService {
    base.PingResponse Ping(1: base.PingRequest req)
    CreateOrderResponse CreateOrder(1: CreateOrderRequest req) throws (1: base.ServiceError err)
    GetOrderResponse GetOrder(1: GetOrderRequest req) throws (1: base.ServiceError err)
    ListOrdersResponse ListOrders(1: ListOrdersRequest req) throws (1: base.ServiceError err)
    CancelOrderResponse CancelOrder(1: CancelOrderRequest req) throws (1: base.ServiceError err)
}
