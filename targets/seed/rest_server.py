"""The seed post's REST server: FastAPI routes that read the body and answer
100 random floats and a 100-entry string->int map, decoding nothing."""

import random
import sys
from typing import Dict

import uvicorn
from fastapi import FastAPI, Request
from pydantic import BaseModel

RESPONSE_SIZE = 100

app = FastAPI()


class BasicRequest(BaseModel):
    field1: str
    field2: str
    field3: int
    field4: Dict[str, int]


class ImageBase64Request(BaseModel):
    image: str


def random_response() -> dict:
    return {
        "prediction1": [random.random() for _ in range(RESPONSE_SIZE)],
        "prediction2": {str(i): i for i in range(RESPONSE_SIZE)},
    }


@app.post("/basic")
async def basic(request: BasicRequest) -> dict:
    return random_response()


@app.post("/base64")
async def base64_image(request: ImageBase64Request) -> dict:
    return random_response()


@app.post("/binary")
async def binary_image(request: Request) -> dict:
    await request.body()
    return random_response()


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
