// The benchmark-only "trade report": a flat, mostly numeric message (12 doubles,
// 3 string IDs, 1 enum), shaped like the one in the widely shared claim that
// Protobuf serialises ~1.5x faster than Thrift in Kitex. It is not part of the
// platform's contract, so it lives here and not in /idl.
namespace go trade

enum Side {
    BUY = 1,
    SELL = 2,
}

struct TradeReport {
    1: string trade_id,
    2: string account_id,
    3: string instrument_id,
    4: Side side,
    5: double price,
    6: double quantity,
    7: double notional,
    8: double fee,
    9: double bid,
    10: double ask,
    11: double mid,
    12: double vwap,
    13: double open,
    14: double high,
    15: double low,
    16: double close,
}
