"""The Python peer of the checkout quote, for the cold-start benchmark: what a team would
otherwise deploy. Same rules as the Rust `checkout` function's POST /quotes (R-FEE default
schedule, insurance premiums by price band, two batched reads, one conditional write), boto3
clients created at import, started by the official runtime interface client (awslambdaric)."""

import base64
import json
import os
import time
import uuid
from decimal import Decimal

import boto3

TABLE = os.environ.get("TABLE_NAME", "marketplace")
dynamodb = boto3.client("dynamodb")

FEES = [(5000, 49), (10000, 99), (20000, 199), (30000, 299), (40000, 399), (50000, 499), (57500, 599), (65000, 699)]
PREMIUMS = [(15000, 1999), (30000, 2999), (50000, 3999), (80000, 5999), (120000, 7999)]


def band(table, above, amount):
    return next((value for bound, value in table if amount < bound), above)


def money(minor):
    return {"amount": str(Decimal(minor) / 100), "currency": "EUR"}


def load(keys):
    if not keys:
        return []
    response = dynamodb.batch_get_item(RequestItems={TABLE: {"Keys": keys, "ConsistentRead": True}})
    return [json.loads(json.dumps(item)) for item in response["Responses"].get(TABLE, [])]


def attr(item, *path):
    value = item
    for name in path:
        value = value[name]
        value = next(iter(value.values())) if isinstance(value, dict) and len(value) == 1 else value
    return value


def handler(event, context):
    body = event.get("body") or "{}"
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    cart = json.loads(body)
    lines = cart.get("lines", [])
    offers = load([{"pk": {"S": f"OFFER#{line['offerId']}"}, "sk": {"S": "OFFER"}} for line in lines])
    by_id = {attr(o, "id"): o for o in offers}
    sellers = load([{"pk": {"S": f"SELLER#{s}"}, "sk": {"S": "PROFILE"}} for s in {attr(o, "sellerId") for o in offers}])
    active = {attr(s, "id") for s in sellers if attr(s, "status") == "active"}
    items = shipping = insurance = 0
    quoted = []
    for line in lines:
        offer = by_id.get(line["offerId"])
        if offer is None or attr(offer, "sellerId") not in active or int(attr(offer, "stock")) < line["quantity"]:
            return {"statusCode": 422, "body": json.dumps({"code": "validation_failed"})}
        price = int(attr(offer, "price", "amountMinor"))
        fee = int(attr(offer, "shippingFee", "amountMinor"))
        premium = band(PREMIUMS, 9999, price) * line["quantity"] if line.get("insurance") else 0
        items += price * line["quantity"]
        shipping += fee
        insurance += premium
        quoted.append({"offerId": line["offerId"], "quantity": line["quantity"], "unitPrice": money(price),
                       "shippingFee": money(fee), "insurancePremium": money(premium)})
    service_fee = band(FEES, 799, items)
    quote_id = f"qt_{uuid.uuid4().hex}"
    quote = {"id": quote_id, "lines": quoted, "itemsTotal": money(items), "shippingTotal": money(shipping),
             "serviceFee": money(service_fee), "insuranceTotal": money(insurance),
             "total": money(items + shipping + insurance + service_fee), "expiresAt": int(time.time()) + 900}
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": f"QUOTE#{quote_id}"}, "sk": {"S": "QUOTE"},
                                             "body": {"S": json.dumps(quote)}},
                      ConditionExpression="attribute_not_exists(pk)")
    return {"statusCode": 201, "headers": {"content-type": "application/json"}, "body": json.dumps(quote)}
