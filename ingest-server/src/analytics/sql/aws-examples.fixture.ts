/** AWS KDA SQL developer guide examples shared by the parser and engine tests, copied as written. */

// Developer Guide, "Tumbling Windows (Aggregations Using GROUP BY)".
export const TUMBLING = `SELECT STREAM ROWTIME,
              Ticker_Symbol,
              MIN(Price) AS Price,
              MAX(Price) AS Price
FROM     "SOURCE_SQL_STREAM_001"
GROUP BY Ticker_Symbol, 
         STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '60' SECOND);`;
