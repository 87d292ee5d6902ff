include "base.thrift"

namespace go user

struct User {
    1: i64 user_id,
    2: string username,
    3: i64 created_at_unix_ms,
}

struct RegisterRequest {
    1: string username, // 3..32 of [a-zA-Z0-9_], unique case-insensitively
    2: string password, // 8..128 bytes, stored as a bcrypt hash only
}

struct RegisterResponse {
    1: User user,
}

struct LoginRequest {
    1: string username,
    2: string password,
}

struct LoginResponse {
    1: User user,
}

struct GetUserRequest {
    1: i64 user_id,
}

struct GetUserResponse {
    1: User user,
}

struct BatchGetUsersRequest {
    1: list<i64> user_ids, // at most 100; unknown IDs are left out of the answer
}

struct BatchGetUsersResponse {
    1: list<User> users,
}

service UserService {
    base.PingResponse Ping(1: base.PingRequest req)
    RegisterResponse Register(1: RegisterRequest req) throws (1: base.ServiceError err)
    LoginResponse Login(1: LoginRequest req) throws (1: base.ServiceError err)
    GetUserResponse GetUser(1: GetUserRequest req) throws (1: base.ServiceError err)
    BatchGetUsersResponse BatchGetUsers(1: BatchGetUsersRequest req) throws (1: base.ServiceError err)
}
