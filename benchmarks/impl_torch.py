"""The workloads in PyTorch eager: hand-written model and training loop."""

import numpy as np


def setup(seed, threads, device):
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    return f"torch {torch.__version__} ({device})"


def build(workload, device="cpu"):
    import torch
    from torch import nn

    name = workload.name
    if name == "mlp":
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 512),
                              nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 10))
    elif name == "cnn":
        model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                              nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5),
                              nn.Linear(1600, 10))
        model = model.to(memory_format=torch.channels_last)
    elif name in ("lstm", "gru"):
        class RecurrentModel(nn.Module):
            def __init__(self):
                super().__init__()
                cell = nn.LSTM if name == "lstm" else nn.GRU
                self.rnn = cell(32, 128, batch_first=True)
                self.head = nn.Linear(128, 1)

            def forward(self, x):
                _, state = self.rnn(x)
                h = state[0] if name == "lstm" else state
                return self.head(h[-1])

        model = RecurrentModel()
    elif name == "convbn":
        model = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32, eps=1e-3),
                              nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1),
                              nn.BatchNorm2d(64, eps=1e-3), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(64 * 8 * 8, 10))
        model = model.to(memory_format=torch.channels_last)
    elif name == "textcnn":
        class TextCNN(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Embedding(workload.vocabulary, 64)
                self.conv = nn.Conv1d(64, 128, 5)
                self.head = nn.Linear(128, 1)

            def forward(self, x):
                h = torch.relu(self.conv(self.embed(x).transpose(1, 2)))
                return self.head(h.amax(dim=2))

        model = TextCNN()
    elif name == "imdb":
        class Imdb(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Embedding(workload.vocabulary, 16)
                self.hidden = nn.Linear(16, 16)
                self.head = nn.Linear(16, 1)

            def forward(self, x):
                return self.head(torch.relu(self.hidden(self.embed(x).mean(dim=1))))

        model = Imdb()
    elif name == "deep":
        blocks = [nn.Sequential(nn.Linear(32 if i == 0 else 64, 64), nn.BatchNorm1d(64, eps=1e-3),
                                nn.ReLU()) for i in range(10)]
        model = nn.Sequential(*blocks, nn.Linear(64, 10))
    elif name == "lenet":
        model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.AvgPool2d(2), nn.Conv2d(32, 64, 3),
                              nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(5 * 5 * 64, 10))
        model = model.to(memory_format=torch.channels_last)
    elif name == "cifar":
        model = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3),
                              nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
                              nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3),
                              nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(),
                              nn.Linear(64 * 6 * 6, 512), nn.ReLU(), nn.Dropout(0.5),
                              nn.Linear(512, 10))
        model = model.to(memory_format=torch.channels_last)
    elif name == "vgg":
        model = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(),
                              nn.Conv2d(32, 32, 3, stride=2, padding=1), nn.ReLU(),
                              nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
                              nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))
        model = model.to(memory_format=torch.channels_last)
    elif name == "separable":
        def separable(cin, cout):  # Keras's: the depthwise half has no bias
            return [nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False),
                    nn.Conv2d(cin, cout, 1), nn.ReLU()]

        model = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), *separable(32, 64),
                              nn.MaxPool2d(2), *separable(64, 128), nn.AdaptiveAvgPool2d(1),
                              nn.Flatten(), nn.Linear(128, 10))
        model = model.to(memory_format=torch.channels_last)
    elif name == "stacked":
        class StackedLSTM(nn.Module):
            def __init__(self):
                super().__init__()
                self.first = nn.LSTM(32, 64, batch_first=True)
                self.second = nn.LSTM(64, 64, batch_first=True)
                self.head = nn.Linear(64, 10)

            def forward(self, x):
                seq, _ = self.first(x)
                _, (h, _) = self.second(seq)
                return self.head(h[-1])

        model = StackedLSTM()
    elif name == "conv1d":
        class Conv1DNet(nn.Module):
            def __init__(self):
                super().__init__()
                # (batch, 100 steps, 32 features) -> (batch, 32, 100) for Conv1d
                self.body = nn.Sequential(nn.Conv1d(32, 64, 5), nn.ReLU(), nn.MaxPool1d(2),
                                          nn.Conv1d(64, 64, 5), nn.ReLU(), nn.AvgPool1d(2),
                                          nn.Flatten())
                self.head = nn.Linear(22 * 64, 10)

            def forward(self, x):
                return self.head(self.body(x.transpose(1, 2)))

        model = Conv1DNet()
    elif name == "tiny":
        model = nn.Sequential(nn.Linear(20, 10))
    elif name == "transformer":
        class Transformer(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Embedding(workload.vocabulary, 64)
                self.attention = nn.MultiheadAttention(64, 4, batch_first=True)
                self.norm1 = nn.LayerNorm(64, eps=1e-3)
                self.hidden = nn.Linear(64, 128)
                self.out = nn.Linear(128, 64)
                self.norm2 = nn.LayerNorm(64, eps=1e-3)
                self.head = nn.Linear(64, 1)

            def forward(self, tokens):
                x = self.embed(tokens)
                x = self.norm1(x + self.attention(x, x, x, need_weights=False)[0])
                x = self.norm2(x + self.out(torch.relu(self.hidden(x))))
                return self.head(x.mean(dim=1))

        model = Transformer()
    else:
        raise KeyError(f"no PyTorch model for the workload {name!r}")
    model = model.to(device)
    if workload.optimizer == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.BCEWithLogitsLoss() if workload.classes == 1 else nn.CrossEntropyLoss()
    return model, optimizer, loss_fn, workload


def to_device(arrays, device):
    import torch

    x, y = arrays
    tx = torch.from_numpy(x)
    if tx.ndim == 4:  # NHWC data -> NCHW tensor in channels_last memory, as kerasx keeps it
        tx = tx.permute(0, 3, 1, 2)
    return tx.to(device), torch.from_numpy(y).to(device)


def train(bundle, data, batch_size, verbose=0):
    """One epoch of the hand-written loop (`verbose` is accepted and ignored: the loop
    prints nothing, as a script without a progress bar)."""
    import torch

    model, optimizer, loss_fn, workload = bundle
    x, y = data
    model.train()
    n = x.shape[0]
    order = torch.from_numpy(np.random.default_rng(0).permutation(n)).to(x.device)
    correct = torch.zeros((), device=x.device)
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        xb, yb = x[idx], y[idx]
        if xb.ndim == 4:
            xb = xb.contiguous(memory_format=torch.channels_last)
        optimizer.zero_grad(set_to_none=True)
        out = model(xb)
        if workload.classes == 1:
            out = out.squeeze(-1)
            loss = loss_fn(out, yb)
            correct += ((out > 0) == (yb > 0.5)).sum()
        else:
            loss = loss_fn(out, yb)
            correct += (out.argmax(-1) == yb).sum()
        loss.backward()
        optimizer.step()
    if x.is_cuda:
        torch.cuda.synchronize()


def predict(bundle, data, batch_size):
    import torch

    model = bundle[0]
    x = data[0]
    model.eval()
    with torch.no_grad():
        outs = [torch.softmax(model(x[i:i + batch_size]), -1) for i in range(0, x.shape[0], batch_size)]
        torch.cat(outs).cpu().numpy()
