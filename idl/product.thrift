include "base.thrift"

namespace go product

enum ProductStatus {
    ACTIVE = 1,   // listed and orderable
    INACTIVE = 2, // hidden from listings, not orderable
}

struct Product {
    1: i64 product_id,
    2: string name,
    3: string description,
    4: string category,
    5: i64 price_cents,
    6: ProductStatus status,
    7: i64 stock, // units available to reserve
    8: i64 created_at_unix_ms,
    9: i64 updated_at_unix_ms,
}

struct CreateProductRequest {
    1: string name,
    2: string description,
    3: string category,
    4: i64 price_cents,
    5: i64 initial_stock,
}

struct CreateProductResponse {
    1: Product product,
}

// Only the fields that are set change. add_stock restocks (recorded in the ledger).
struct UpdateProductRequest {
    1: i64 product_id,
    2: optional string name,
    3: optional string description,
    4: optional string category,
    5: optional i64 price_cents,
    6: optional ProductStatus status,
    7: optional i64 add_stock,
}

struct UpdateProductResponse {
    1: Product product,
}

struct GetProductRequest {
    1: i64 product_id,
}

struct GetProductResponse {
    1: Product product,
}

struct BatchGetProductsRequest {
    1: list<i64> product_ids, // at most 100; unknown IDs are left out of the answer
}

struct BatchGetProductsResponse {
    1: list<Product> products,
}

struct ListProductsRequest {
    1: base.PageRequest page,
    2: optional string category,
}

struct ListProductsResponse {
    1: list<Product> items,
    2: base.PageInfo page,
}

struct StockItem {
    1: i64 product_id,
    2: i32 quantity,
}

// Reserve is all-or-nothing over the items and idempotent per order_id.
struct ReserveStockRequest {
    1: i64 order_id,
    2: list<StockItem> items,
}

struct ReserveStockResponse {
    1: bool newly_reserved, // false when this order_id was already reserved
}

// Release (order cancelled) and Confirm (order paid) are idempotent per order_id;
// each applies at most once and only to a reservation that is still held.
struct ReleaseStockRequest {
    1: i64 order_id,
}

struct ReleaseStockResponse {
    1: bool released, // false when there was nothing held to release
}

struct ConfirmStockRequest {
    1: i64 order_id,
}

struct ConfirmStockResponse {
    1: bool confirmed, // false when there was nothing held to confirm
}

service ProductService {
    base.PingResponse Ping(1: base.PingRequest req)
    CreateProductResponse CreateProduct(1: CreateProductRequest req) throws (1: base.ServiceError err)
    UpdateProductResponse UpdateProduct(1: UpdateProductRequest req) throws (1: base.ServiceError err)
    GetProductResponse GetProduct(1: GetProductRequest req) throws (1: base.ServiceError err)
    BatchGetProductsResponse BatchGetProducts(1: BatchGetProductsRequest req) throws (1: base.ServiceError err)
    ListProductsResponse ListProducts(1: ListProductsRequest req) throws (1: base.ServiceError err)
    ReserveStockResponse ReserveStock(1: ReserveStockRequest req) throws (1: base.ServiceError err)
    ReleaseStockResponse ReleaseStock(1: ReleaseStockRequest req) throws (1: base.ServiceError err)
    ConfirmStockResponse ConfirmStock(1: ConfirmStockRequest req) throws (1: base.ServiceError err)
}
