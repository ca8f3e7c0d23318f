"""The seed post's REST server: FastAPI routes that read the body and answer
100 random floats and a 100-entry string->int map, decoding nothing. With
SEED_ANSWER=variant in the environment the answer differs where the post's
types (prediction1: List[float], prediction2: Dict[str, int]) allow: see
answer.py."""

import sys
from typing import Dict, List

import uvicorn
from fastapi import FastAPI, Request
from pydantic import BaseModel

from answer import prediction

app = FastAPI()


class BasicRequest(BaseModel):
    field1: str
    field2: str
    field3: int
    field4: Dict[str, int]


class ImageBase64Request(BaseModel):
    image: str


class BasicResponse(BaseModel):
    prediction1: List[float]
    prediction2: Dict[str, int]


def random_response() -> BasicResponse:
    scores, labels = prediction()
    return BasicResponse(prediction1=scores, prediction2=labels)


@app.post("/basic")
async def basic(request: BasicRequest) -> BasicResponse:
    return random_response()


@app.post("/base64")
async def base64_image(request: ImageBase64Request) -> BasicResponse:
    return random_response()


@app.post("/binary")
async def binary_image(request: Request) -> BasicResponse:
    await request.body()
    return random_response()


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
